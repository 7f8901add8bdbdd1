/**
 * The TCP listener. Each accepted socket gets its own Connection (state machine); any
 * failure while setting one up destroys that socket only. `close()` stops accepting,
 * tells every client the server is shutting down (57P01), and waits for the sockets.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { DEFAULT_MAX_MESSAGE_SIZE } from './codec/frame-decoder';
import { Connection } from './protocol/connection';
import type { SessionManager } from './session';

export interface PgServerOptions {
  host: string;
  /** 0 picks a free port (see PgServer.port). */
  port: number;
  manager: SessionManager;
  /** Largest accepted frontend message, in bytes (default 64 MiB). */
  maxMessageSize?: number;
  log?: (msg: string) => void;
}

export interface PgServer {
  /** The port actually bound. */
  readonly port: number;
  /** Open client connections. */
  readonly connections: number;
  close(): Promise<void>;
}

/** How long close() waits for clients to go away before destroying their sockets. */
const SHUTDOWN_GRACE_MS = 2000;

export async function startPgServer(opts: PgServerOptions): Promise<PgServer> {
  const log = opts.log ?? (() => {});
  const maxMessageSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const live = new Map<Socket, Connection>();

  const server = createServer((socket) => {
    try {
      const conn = new Connection(socket, { manager: opts.manager, maxMessageSize, log });
      live.set(socket, conn);
      socket.once('close', () => live.delete(socket));
    } catch (e) {
      log(`failed to set up connection: ${e instanceof Error ? e.stack : String(e)}`);
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log(`listener error: ${e.message}`));
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    port,
    get connections() {
      return live.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const conn of live.values()) conn.shutdown();
        const timer = setTimeout(() => {
          for (const socket of live.keys()) socket.destroy();
        }, SHUTDOWN_GRACE_MS);
        timer.unref();
      });
      return closing;
    },
  };
}
