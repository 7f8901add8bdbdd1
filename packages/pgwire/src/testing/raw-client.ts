/**
 * Test-only: a raw protocol client. Sends bytes (usually from pg-protocol's `serialize`)
 * and collects parsed backend messages, so tests can drive pipelines and malformed input
 * that no driver would send.
 */
import { connect, type Socket } from 'node:net';
import type { BackendMessage } from 'pg-protocol/dist/messages';
import { Parser } from 'pg-protocol/dist/parser';
import { serialize } from 'pg-protocol';

export class RawClient {
  readonly messages: BackendMessage[] = [];
  /** Raw bytes before the parser is engaged (e.g. the 'N' reply to SSLRequest). */
  private raw: Buffer[] = [];
  private parsing = true;
  private readonly parser = new Parser();
  private waiters: (() => void)[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      if (this.parsing) this.parser.parse(chunk, (m) => this.messages.push(m));
      else this.raw.push(chunk);
      this.wake();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, opts: { parse?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        const c = new RawClient(s);
        c.parsing = opts.parse ?? true;
        resolve(c);
      });
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined) return v;
      if (this.closed) throw new Error(`connection closed; messages: ${this.names().join(',')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; messages so far: ${this.names().join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }

  /** Switches from raw bytes to protocol parsing (after an SSLRequest answer). */
  async readRawByte(timeoutMs = 2000): Promise<number> {
    const b = await this.waitFor(() => (this.raw.length > 0 && this.raw[0].length > 0 ? this.raw[0][0] : undefined), timeoutMs);
    const first = this.raw[0].subarray(1);
    this.raw = first.length ? [first, ...this.raw.slice(1)] : this.raw.slice(1);
    return b;
  }

  startParsing(): void {
    this.parsing = true;
    for (const chunk of this.raw) this.parser.parse(chunk, (m) => this.messages.push(m));
    this.raw = [];
  }

  /** Messages up to and including the first satisfying `pred`, removed from the queue. */
  async until(pred: (m: BackendMessage) => boolean, timeoutMs = 5000): Promise<BackendMessage[]> {
    const idx = await this.waitFor(() => {
      const i = this.messages.findIndex(pred);
      return i >= 0 ? i : undefined;
    }, timeoutMs);
    return this.messages.splice(0, idx + 1);
  }

  untilReady(timeoutMs = 5000): Promise<BackendMessage[]> {
    return this.until((m) => m.name === 'readyForQuery', timeoutMs);
  }

  /** Waits for the server to close the connection; returns everything received. */
  async untilClosed(timeoutMs = 5000): Promise<BackendMessage[]> {
    await Promise.race([
      this.closedPromise,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`not closed; got ${this.names().join(',')}`)), timeoutMs)),
    ]);
    return this.messages.splice(0);
  }

  names(): string[] {
    return this.messages.map((m) => m.name);
  }

  /** Sends a trust-auth startup and waits for the first ReadyForQuery. */
  async startup(user = 'test', database = 'db'): Promise<BackendMessage[]> {
    this.send(serialize.startup({ user, database }));
    return this.untilReady();
  }

  close(): void {
    this.socket.destroy();
  }
}

export const names = (ms: BackendMessage[]) => ms.map((m) => m.name);
