/**
 * One client connection: length-prefixed framing, request-header parsing, and strictly
 * in-order responses (Kafka answers a connection's requests in the order they came, even
 * when a long-polling Fetch or a JoinGroup waits). Anything malformed closes this
 * connection and is logged; the broker keeps serving everyone else.
 */
import type { Socket } from 'node:net';
import { HANDLERS, type ConnectionSession } from './apis';
import { writeApiVersions } from './apis/api-versions';
import type { BrokerState } from './broker-state';
import { ApiKey, ErrorCode, SUPPORTED_VERSIONS } from './protocol/constants';
import { Reader } from './protocol/reader';
import { Writer } from './protocol/writer';

/** Smallest request: api_key, api_version, correlation_id, client_id length. */
const MIN_REQUEST = 10;

/** What an unauthenticated client may ask when the broker requires SASL. */
const PRE_AUTH_APIS: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly session: ConnectionSession = { mechanism: undefined, authenticated: false, user: undefined };

  constructor(
    private readonly socket: Socket,
    private readonly state: BrokerState,
    private readonly maxFrameBytes: number,
    private readonly log: (line: string) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => (this.closed = true));
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.closed && this.buffered >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (size < MIN_REQUEST || size > this.maxFrameBytes) {
        this.log(`closing connection from ${this.socket.remoteAddress}:${this.socket.remotePort}: invalid frame size ${size}`);
        this.close();
        return;
      }
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.queue = this.queue.then(() => this.handle(frame));
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    if (this.closed) return;
    const r = new Reader(frame);
    let apiKey = -1;
    try {
      apiKey = r.int16();
      const version = r.int16();
      const correlationId = r.int32();
      const clientId = r.nullableString() ?? '';
      const w = new Writer();
      w.int32(0).int32(correlationId);
      const range = SUPPORTED_VERSIONS.get(apiKey);
      if (apiKey === ApiKey.ApiVersions && range && version > range[1]) {
        // KIP-511: answer an ApiVersions we don't know in v0 so the client can downgrade.
        writeApiVersions(w, 0, ErrorCode.UNSUPPORTED_VERSION);
        return this.send(w);
      }
      const handler = HANDLERS.get(apiKey);
      if (!handler || !range || version < range[0] || version > range[1]) {
        this.log(`closing connection from client '${clientId}': unsupported api key ${apiKey} version ${version}`);
        this.close();
        return;
      }
      if (this.state.config.saslUsers && !this.session.authenticated && !PRE_AUTH_APIS.has(apiKey)) {
        this.log(`closing connection from client '${clientId}': api key ${apiKey} before SASL authentication`);
        this.close();
        return;
      }
      if (apiKey === ApiKey.ApiVersions && version >= 3) r.taggedFields(); // request header v2
      const respond = await handler({ state: this.state, version, clientId, session: this.session }, r, w);
      if (respond !== false) this.send(w);
    } catch (e) {
      this.log(`closing connection: malformed request (api key ${apiKey}): ${(e as Error).message}`);
      this.close();
    }
  }

  private send(w: Writer): void {
    if (this.closed) return;
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    this.socket.write(out);
  }
}
