/**
 * Just enough of net.Socket for a pgwire Connection, for the in-process harnesses
 * (inproc.ts, ingest-inproc.ts): collects what the server writes and resolves a round
 * trip on ReadyForQuery. No kernel and no client, so a run measures the server code alone.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { dirname } from 'node:path';

export class FakeSocket extends EventEmitter {
  writable = true;
  destroyed = false;
  bytesOut = 0;
  /** Every byte written since the last `takeOutput()` (kept only when `keepOutput`). */
  private chunks: Buffer[] = [];
  private waiter: (() => void) | null = null;

  constructor(private readonly keepOutput = false) {
    super();
  }

  setNoDelay(): void {}
  pause(): void {}
  resume(): void {}
  end(): void {
    this.writable = false;
  }
  destroy(): void {
    this.destroyed = true;
  }
  write(b: Buffer): boolean {
    this.bytesOut += b.length;
    if (this.keepOutput) this.chunks.push(Buffer.from(b));
    // 'Z' ReadyForQuery is always the last message of a cycle (6 bytes).
    if (b.length >= 6 && b[b.length - 6] === 0x5a && this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
    return true;
  }
  /** Sends `frames` and waits for the next ReadyForQuery. */
  roundTrip(frames: Buffer): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.emit('data', frames);
    });
  }
  /** The bytes written since the last call (requires `keepOutput`). */
  takeOutput(): Buffer {
    const out = Buffer.concat(this.chunks);
    this.chunks = [];
    return out;
  }
}

/** The first ErrorResponse's message in server output, or null (a quick check in harnesses). */
export function errorIn(out: Buffer): string | null {
  let at = 0;
  while (at + 5 <= out.length) {
    const type = out[at];
    const len = out.readInt32BE(at + 1);
    if (type === 0x45) {
      const body = out.subarray(at + 5, at + 1 + len).toString('utf8');
      const m = /\0M([^\0]*)/.exec('\0' + body);
      return m ? m[1] : body;
    }
    at += 1 + len;
  }
  return null;
}

/** A CPU profile of this process between `start` and `stop` (100 µs sampling). */
export async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
