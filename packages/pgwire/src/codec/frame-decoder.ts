/**
 * Splits the inbound byte stream into frames. Chunks may hold partial frames or many
 * frames; bytes stay buffered until the connection pulls the next frame, because the
 * framing itself changes mid-stream (untyped startup packets first, then typed messages)
 * and only the state machine knows when.
 *
 * Lengths are validated as soon as the header is complete, so an oversized frame is
 * rejected before its body is buffered.
 *
 * The current frame (`type`, `buf`, `start`, `end`) is a view into the internal buffer
 * and is only valid until the next `push`; message parsers copy what they keep.
 */
import { SqlState } from '@freshet/common';
import { FE } from './frontend-messages';
import { ProtocolError } from './protocol-error';

/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH. */
export const MAX_STARTUP_PACKET = 10_000;
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
/**
 * PostgreSQL's PQ_SMALL_MESSAGE_LIMIT: messages without a payload (Sync, Execute, Describe…)
 * never legitimately need more, so a larger length means the stream is out of sync.
 */
export const SMALL_MESSAGE_LIMIT = 10_000;

const KNOWN_TYPES = new Set<number>(Object.values(FE));
/** Types that may carry a payload up to maxMessageSize. */
const LARGE_TYPES = new Set<number>([FE.Query, FE.Parse, FE.Bind, FE.FunctionCall, FE.CopyData, FE.Password]);

export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private readPos = 0;
  private writePos = 0;
  /** true until the startup packet has been accepted: frames have no type byte. */
  startupPhase = true;

  /** The current frame: type byte (0 for startup packets), and the body range in `buf`. */
  type = 0;
  buf: Buffer = this.buffer;
  start = 0;
  end = 0;

  constructor(private readonly maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE) {}

  /** Bytes received and not yet consumed as frames. */
  get buffered(): number {
    return this.writePos - this.readPos;
  }

  push(chunk: Buffer): void {
    if (this.readPos === this.writePos) {
      this.readPos = this.writePos = 0;
    }
    const free = this.buffer.length - this.writePos;
    if (chunk.length > free) {
      const pending = this.writePos - this.readPos;
      const need = pending + chunk.length;
      if (need <= this.buffer.length && this.readPos > 0) {
        // Enough space once consumed bytes are dropped.
        this.buffer.copy(this.buffer, 0, this.readPos, this.writePos);
      } else {
        let size = Math.max(this.buffer.length * 2, 8192);
        while (size < need) size *= 2;
        const next = Buffer.allocUnsafe(size);
        this.buffer.copy(next, 0, this.readPos, this.writePos);
        this.buffer = next;
      }
      this.readPos = 0;
      this.writePos = pending;
    }
    chunk.copy(this.buffer, this.writePos);
    this.writePos += chunk.length;
  }

  /**
   * Advances to the next complete frame. Returns false when more bytes are needed.
   * Throws ProtocolError for an invalid or oversized length.
   */
  next(): boolean {
    const avail = this.writePos - this.readPos;
    const p = this.readPos;
    if (this.startupPhase) {
      if (avail < 4) return false;
      const len = this.buffer.readInt32BE(p);
      if (len < 8 || len > MAX_STARTUP_PACKET) throw new ProtocolError('invalid length of startup packet');
      if (avail < len) return false;
      this.type = 0;
      this.start = p + 4;
      this.end = p + len;
    } else {
      if (avail < 1) return false;
      // Like PostgreSQL, judge the type byte before the length: garbage (or a second
      // startup packet, whose first byte is 0) fails now instead of waiting for a body.
      const type = this.buffer[p];
      if (!KNOWN_TYPES.has(type)) throw new ProtocolError(`invalid frontend message type ${type}`);
      if (avail < 5) return false;
      const len = this.buffer.readInt32BE(p + 1);
      if (len < 4) throw new ProtocolError(`invalid message length ${len}`);
      if (!LARGE_TYPES.has(type) && len > SMALL_MESSAGE_LIMIT) throw new ProtocolError(`invalid message length ${len}`);
      if (len > this.maxMessageSize) {
        throw new ProtocolError(
          `message of ${len} bytes exceeds the maximum of ${this.maxMessageSize} bytes`,
          SqlState.ProgramLimitExceeded,
        );
      }
      if (avail < len + 1) return false;
      this.type = this.buffer[p];
      this.start = p + 5;
      this.end = p + 1 + len;
    }
    this.buf = this.buffer;
    this.readPos = this.end;
    return true;
  }
}
