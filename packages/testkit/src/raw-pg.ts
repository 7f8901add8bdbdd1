/**
 * A raw PostgreSQL protocol client for tests against a running server: it sends arbitrary
 * bytes (well-formed or not) and collects the parsed backend messages, so a test can drive
 * what no driver would send — garbage, truncated frames, messages out of order — and check
 * exactly what the server answered and whether it closed the connection.
 */
import { connect, type Socket } from 'node:net';
import { serialize } from 'pg-protocol';
import type { BackendMessage, DatabaseError } from 'pg-protocol/dist/messages';
import { Parser } from 'pg-protocol/dist/parser';

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const PROTOCOL_3_0 = 196608;

/** A typed frontend message: type byte, int32 length (self-inclusive), body. */
export function frame(type: string | number, body: Buffer = Buffer.alloc(0), length = body.length + 4): Buffer {
  const head = Buffer.alloc(5);
  head[0] = typeof type === 'number' ? type : type.charCodeAt(0);
  head.writeInt32BE(length, 1);
  return Buffer.concat([head, body]);
}

/** An untyped startup-phase packet: int32 length (self-inclusive), int32 code, rest. */
export function startupPacket(code: number, rest: Buffer = Buffer.alloc(0), length = rest.length + 8): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(length, 0);
  head.writeInt32BE(code | 0, 4);
  return Buffer.concat([head, rest]);
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  const rest = Buffer.alloc(8);
  rest.writeInt32BE(processId | 0, 0);
  rest.writeInt32BE(secretKey | 0, 4);
  return startupPacket(CANCEL_REQUEST_CODE, rest);
}

const cstr = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const int16s = (xs: number[]) => {
  const b = Buffer.alloc(2 + 2 * xs.length);
  b.writeInt16BE(xs.length, 0);
  xs.forEach((x, i) => b.writeInt16BE(x, 2 + 2 * i));
  return b;
};

/** A Bind message with exact control over format codes and raw parameter bytes. */
export function bindMessage(opts: { portal?: string; statement?: string; paramFormats?: number[]; values?: (Buffer | null)[]; resultFormats?: number[] }): Buffer {
  const values = opts.values ?? [];
  const parts: Buffer[] = [cstr(opts.portal ?? ''), cstr(opts.statement ?? ''), int16s(opts.paramFormats ?? [])];
  const count = Buffer.alloc(2);
  count.writeInt16BE(values.length);
  parts.push(count);
  for (const v of values) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(v === null ? -1 : v.length);
    parts.push(len);
    if (v) parts.push(v);
  }
  parts.push(int16s(opts.resultFormats ?? []));
  return frame('B', Buffer.concat(parts));
}

export type ErrorMessage = DatabaseError & { name: 'error' | 'notice' };

export const isError = (m: BackendMessage): m is ErrorMessage => m.name === 'error';

export class RawPgClient {
  readonly messages: BackendMessage[] = [];
  /** Bytes received while not parsing (the one-byte SSLRequest/GSSENCRequest answer). */
  private raw: Buffer = Buffer.alloc(0);
  private parsing = true;
  private readonly parser = new Parser();
  private waiters: (() => void)[] = [];
  /** Set if the server sent bytes that are not valid backend messages. */
  parseError: Error | null = null;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      if (this.parsing) this.parse(chunk);
      else this.raw = Buffer.concat([this.raw, chunk]);
      this.wake();
    });
    // ECONNRESET when the server closes while we still write: expected in fuzzing.
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawPgClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => {
        s.off('error', reject);
        resolve(new RawPgClient(s));
      });
      s.once('error', reject);
    });
  }

  private parse(chunk: Buffer): void {
    try {
      this.parser.parse(chunk, (m) => this.messages.push(m));
    } catch (e) {
      this.parseError ??= e as Error;
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves with the first defined `check()`; rejects on close (unless `check` passes) or timeout. */
  private async waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined) return v;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}; got: ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got: ${this.describe()}`);
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
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(bufs));
  }

  /** Stops parsing: the next bytes are read raw with readRawByte (SSLRequest answer). */
  expectRaw(): void {
    this.parsing = false;
  }

  /** One raw byte; then parsing resumes with whatever followed it. */
  async readRawByte(timeoutMs = 3000): Promise<number> {
    const b = await this.waitFor(() => (this.raw.length > 0 ? this.raw[0] : undefined), timeoutMs, 'a raw byte');
    const rest = this.raw.subarray(1);
    this.raw = Buffer.alloc(0);
    this.parsing = true;
    if (rest.length) this.parse(rest);
    return b;
  }

  /** Messages up to and including the first satisfying `pred`, removed from the queue. */
  async until(pred: (m: BackendMessage) => boolean, timeoutMs = 5000, what = 'a message'): Promise<BackendMessage[]> {
    const idx = await this.waitFor(() => {
      const i = this.messages.findIndex(pred);
      return i >= 0 ? i : undefined;
    }, timeoutMs, what);
    return this.messages.splice(0, idx + 1);
  }

  untilReady(timeoutMs = 5000): Promise<BackendMessage[]> {
    return this.until((m) => m.name === 'readyForQuery', timeoutMs, 'ReadyForQuery');
  }

  /** Waits for the server to close the connection; returns (and removes) everything received. */
  async untilClosed(timeoutMs = 5000): Promise<BackendMessage[]> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.closedPromise,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`server did not close the connection within ${timeoutMs} ms; got: ${this.describe()}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return this.messages.splice(0);
  }

  /** Waits up to `ms` or until the server closes, whichever is first. */
  async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closedPromise, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  /** Sends a startup packet and waits for ReadyForQuery (trust authentication). */
  async startup(user = 'root', database = 'dev'): Promise<BackendMessage[]> {
    this.send(serialize.startup({ user, database }));
    return this.untilReady();
  }

  /** A one-line summary of the received messages, for assertion messages. */
  describe(): string {
    return this.messages.map(describeMessage).join(', ') || '(nothing)';
  }

  close(): void {
    this.socket.destroy();
  }
}

export function describeMessage(m: BackendMessage): string {
  if (isError(m)) return `${m.name}(${m.severity} ${m.code}: ${m.message})`;
  if (m.name === 'commandComplete') return `commandComplete(${(m as unknown as { text: string }).text})`;
  return m.name;
}

export const messageNames = (ms: BackendMessage[]) => ms.map((m) => m.name);
