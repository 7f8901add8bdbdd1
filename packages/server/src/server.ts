/**
 * Wires the pieces into one running server: storage → catalog → frontend sessions →
 * pgwire listener. Startup order matters: the catalog is loaded from storage before the
 * listener accepts connections, so no client ever sees a half-loaded catalog.
 */
import { initParser } from '@freshet/sql';
import { type StorageOptions, openStorage } from '@freshet/storage';
import { startPgServer } from '@freshet/pgwire';
import { Catalog, Frontend } from '@freshet/frontend';
import { createLogger, type Logger } from './logger';
import { tuneHeapForMemoryLimit } from './heap-tuning';
import { startMemoryManager } from './memory-manager';
import { startStallMonitor } from './stall-monitor';

export interface ServerOptions {
  host: string;
  port: number;
  /** null: playground mode, everything in memory. */
  dataDir: string | null;
  /** Checkpoint upload settings (object store, S3 connection, interval, history). */
  storage?: Omit<StorageOptions, 'dataDir' | 'log'>;
  logger?: Logger;
}

export interface RunningServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.logger ?? createLogger();
  const started = performance.now();
  tuneHeapForMemoryLimit(opts.storage?.memoryLimit);
  await initParser();
  const storageLog = log.child('storage');
  const storage = openStorage({ ...opts.storage, dataDir: opts.dataDir ?? undefined, log: (m) => storageLog.info(m) });
  const meta = await storage.open();
  const catalog = new Catalog(storage);
  catalog.load(meta);
  await catalog.ready;
  log.info(
    opts.dataDir ? `storage opened at ${opts.dataDir} (${meta.size} catalog records)` : 'playground mode: all data is kept in memory and lost on exit',
  );
  const frontendLog = log.child('session');
  const sourceLog = log.child('source');
  const memoryLog = log.child('memory');
  const frontend = new Frontend(catalog, storage, { log: (m) => frontendLog.info(m), debug: (m) => frontendLog.debug(m), warn: (m) => sourceLog.warn(m) });
  // Under a limit the state cache gives way to what the whole process holds beyond its idle RSS (memory-manager.ts).
  const memLimit = opts.dataDir ? opts.storage?.memoryLimit : undefined;
  const memory = memLimit ? startMemoryManager(memLimit, (m) => memoryLog.info(m)) : null;
  const pgLog = log.child('pgwire');
  const pg = await startPgServer({ host: opts.host, port: opts.port, manager: frontend, log: (m: string) => pgLog.info(m) });
  log.info(`listening on ${opts.host}:${pg.port} (PostgreSQL protocol) — ready in ${Math.round(performance.now() - started)} ms`);
  log.info(`connect with: psql -h ${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host} -p ${pg.port} -U root dev`);
  // Opt-in diagnostic of serving tails (stall-monitor.ts).
  const stallLog = log.child('stalls');
  const stalls = process.env.FRESHET_STALL_LOG === '1' ? startStallMonitor((m) => stallLog.info(m)) : null;
  let closed = false;
  return {
    port: pg.port,
    host: opts.host,
    async close() {
      if (closed) return;
      closed = true;
      stalls?.stop();
      memory?.stop();
      await pg.close();
      await frontend.streaming.shutdown();
      await storage.close();
      log.info('server stopped');
    },
  };
}
