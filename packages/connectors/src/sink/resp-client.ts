/**
 * A minimal Redis client for sinks: one connection (TCP, or TLS for `rediss://`), AUTH and
 * SELECT from the URL after connecting, and pre-encoded command batches (resp.ts) written
 * with one socket write each, their replies counted off in order.
 *
 * Deliberately no reconnection and no offline queue: `send` fails at once while
 * disconnected, and a dropped connection fails every command in flight; the caller (the
 * sink's retrying commit) reconnects with `connect` on its next attempt. The sink sends one
 * batch at a time and awaits it, so nothing here applies back-pressure beyond the socket's.
 */
import { type Socket, connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { RespError, RespParser, RespProtocolError, type RespReply, encodeCommand } from './resp';

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
}

/** `redis://[user:pass@]host:port[/db]` (`rediss://` for TLS). */
export function parseRedisUrl(url: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid Redis URL ${url}`);
  }
  const scheme = u.protocol.toLowerCase();
  if (scheme !== 'redis:' && scheme !== 'rediss:') throw new Error(`invalid Redis URL ${url}: expected redis:// or rediss://`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname || '127.0.0.1';
  const port = u.port === '' ? 6379 : Number(u.port);
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) throw new Error(`invalid Redis URL ${url}: database ${JSON.stringify(path)} is not a number`);
  const username = u.username === '' ? undefined : decodeURIComponent(u.username);
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  return { host, port, tls: scheme === 'rediss:', username, password, db };
}

export interface RespClientOptions {
  /** Time to establish the connection (TCP/TLS, AUTH, SELECT), ms. */
  readonly connectTimeoutMs?: number;
}

/** Commands written together, waiting for their replies. */
interface InFlight {
  remaining: number;
  readonly replies: RespReply[];
  resolve(replies: RespReply[]): void;
  reject(e: Error): void;
}

/** AUTH against a server without a password: ioredis warned and went on; so do we. */
const NO_PASSWORD_SET = /no password is set|without any password configured/i;

export class RespClient {
  readonly address: RedisAddress;
  private readonly connectTimeoutMs: number;
  private socket: Socket | null = null;
  private ready = false;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private readonly parser = new RespParser();
  private readonly inFlight: InFlight[] = [];
  private head = 0;
  private readonly onReply = (reply: RespReply) => this.reply(reply);

  constructor(url: string, options: RespClientOptions = {}) {
    this.address = parseRedisUrl(url);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  }

  /** Connected, authenticated and on the URL's database. */
  get connected(): boolean {
    return this.ready;
  }

  /** Connects (once; concurrent callers share the attempt). Rejects when the server is unreachable or refuses AUTH / SELECT. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('Redis client closed'));
    if (this.ready) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /**
   * Writes `payload`, which holds `commands` encoded commands, in one socket write; resolves
   * with their replies once all arrived. An error reply rejects (with the first error's
   * message) only after every reply of the payload was read, keeping the connection in step.
   */
  async send(payload: Buffer, commands: number): Promise<RespReply[]> {
    if (!this.ready || this.socket === null) throw new Error(this.closed ? 'Redis client closed' : 'not connected to Redis');
    const replies = await this.exchange(this.socket, payload, commands);
    for (const r of replies) if (r instanceof RespError) throw r;
    return replies;
  }

  /** One command, e.g. `call('PING')`: its reply (an error reply rejects). */
  async call(...args: string[]): Promise<RespReply> {
    return (await this.send(encodeCommand(args), 1))[0];
  }

  /** Drops the connection; commands in flight fail. */
  close(): void {
    this.closed = true;
    this.drop(new Error('Redis client closed'));
  }

  /** Writes `payload` and resolves with its `commands` replies, error replies among them. */
  private exchange(socket: Socket, payload: Buffer, commands: number): Promise<RespReply[]> {
    return new Promise((resolve, reject) => {
      this.inFlight.push({ remaining: commands, replies: [], resolve, reject });
      socket.write(payload);
    });
  }

  private async open(): Promise<void> {
    const { host, port, tls, username, password, db } = this.address;
    const where = `${host}:${port}`;
    const socket = tls ? tlsConnect({ host, port, servername: isIP(host) === 0 ? host : undefined }) : netConnect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        this.parser.feed(chunk, this.onReply);
      } catch (e) {
        this.drop(e instanceof RespProtocolError ? new Error(`Redis protocol error from ${where}: ${e.message}`) : (e as Error));
      }
    });
    socket.on('error', (e) => {
      if (this.socket === socket) this.drop(e);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.drop(new Error(`connection to Redis at ${where} closed`));
    });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new Error(`connect to Redis at ${where} timed out after ${this.connectTimeoutMs} ms`);
        reject(e);
        if (this.socket === socket) this.drop(e);
      }, this.connectTimeoutMs);
    });
    const handshake = async () => {
      await new Promise<void>((resolve, reject) => {
        socket.once(tls ? 'secureConnect' : 'connect', resolve);
        socket.once('error', reject);
        socket.once('close', () => reject(new Error(`connection to Redis at ${where} closed`)));
      });
      // AUTH and SELECT pipelined: one round trip.
      const setup: string[][] = [];
      if (password !== undefined) setup.push(username !== undefined ? ['AUTH', username, password] : ['AUTH', password]);
      if (db !== 0) setup.push(['SELECT', String(db)]);
      if (setup.length === 0) return;
      const replies = await this.exchange(socket, Buffer.concat(setup.map(encodeCommand)), setup.length);
      replies.forEach((r, i) => {
        if (r instanceof RespError && !(setup[i][0] === 'AUTH' && NO_PASSWORD_SET.test(r.message))) throw r;
      });
    };
    try {
      await Promise.race([handshake(), timeout]);
      if (this.socket !== socket) throw new Error(`connection to Redis at ${where} closed`);
      this.ready = true;
    } catch (e) {
      if (this.socket === socket) this.drop(e as Error);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private reply(reply: RespReply): void {
    const f = this.inFlight[this.head];
    if (f === undefined) {
      this.drop(new Error('Redis sent a reply nobody asked for'));
      return;
    }
    f.replies.push(reply);
    if (--f.remaining > 0) return;
    this.inFlight[this.head++] = undefined as never;
    if (this.head === this.inFlight.length) {
      this.inFlight.length = 0;
      this.head = 0;
    }
    f.resolve(f.replies);
  }

  /** Ends the connection and fails what is in flight with `e`. */
  private drop(e: Error): void {
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    this.parser.reset();
    socket?.destroy();
    const failed = this.inFlight.slice(this.head);
    this.inFlight.length = 0;
    this.head = 0;
    for (const f of failed) f.reject(e);
  }
}
