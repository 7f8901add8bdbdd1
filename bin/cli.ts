/**
 * The `freshet` command line. Thin by design: it parses argv and calls @freshet/server.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LogLevel, ServerOptions } from '@freshet/server';
// Imported, not read from disk: bin/freshet.js runs this file from a bundle in dist/.
import pkg from '../package.json' with { type: 'json' };

const program = new Command()
  .name('freshet')
  .description('Freshet: a streaming database for real-time ML features.\nSpeaks the PostgreSQL wire protocol and RisingWave SQL.')
  .version(pkg.version, '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)');

const common = (cmd: Command) =>
  cmd
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'PostgreSQL protocol port', (v) => parsePort(v), 4566)
    .addOption(new Option('--log-level <level>', 'log verbosity').choices(['debug', 'info', 'warn', 'error']).default('info'));

common(
  program
    .command('start')
    .description('start a server that keeps its data under --data-dir')
    .option('-d, --data-dir <dir>', 'directory for catalog, tables and state', process.env.FRESHET_DATA_DIR ?? './freshet-data')
    .option('--object-store <url>', 'where checkpoints are uploaded: s3://bucket/prefix, a directory, or none (default: <data-dir>/checkpoints)')
    .option('--s3-endpoint <url>', 'S3 endpoint (MinIO, s3rver, …); credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY')
    .option('--s3-region <region>', 'S3 region (default: AWS_REGION or us-east-1)')
    .option('--s3-path-style', 'path-style S3 URLs (default when --s3-endpoint is given)')
    .option('--checkpoint-upload-interval-ms <ms>', 'time between checkpoint uploads', (v) => parsePositive(v), 1000)
    .option('--checkpoint-history <n>', 'uploaded checkpoints to keep', (v) => parsePositive(v), 5)
    .option(
      '--memory-limit <size>',
      'stream state kept in memory (e.g. 64MiB, 1GiB); the rest is read from disk on demand (default: no limit)',
      process.env.FRESHET_MEMORY_LIMIT,
    ),
).action(async (opts: StartOptions, cmd: Command) => {
  const dataDir = resolve(opts.dataDir);
  let memoryLimit: number | undefined;
  if (opts.memoryLimit !== undefined) {
    const { parseByteSize } = await import('@freshet/storage');
    try {
      memoryLimit = parseByteSize(opts.memoryLimit);
    } catch (e) {
      cmd.error(`error: option '--memory-limit <size>' argument '${opts.memoryLimit}' is invalid. ${(e as Error).message}`);
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const storage = {
    objectStore: opts.objectStore,
    s3: { endpoint: opts.s3Endpoint, region: opts.s3Region, forcePathStyle: opts.s3PathStyle ?? (opts.s3Endpoint ? true : undefined) },
    uploadIntervalMs: opts.checkpointUploadIntervalMs,
    checkpointHistory: opts.checkpointHistory,
    memoryLimit,
  };
  await run({ host: opts.host, port: opts.port, dataDir, logLevel: opts.logLevel, storage });
});

interface StartOptions {
  host: string;
  port: number;
  dataDir: string;
  logLevel: LogLevel;
  objectStore?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  checkpointUploadIntervalMs: number;
  checkpointHistory: number;
  memoryLimit?: string;
}

common(program.command('playground').description('start an in-memory server: nothing is written to disk')).action(
  async (opts: { host: string; port: number; logLevel: LogLevel }) => {
    await run({ host: opts.host, port: opts.port, dataDir: null, logLevel: opts.logLevel });
  },
);

program.addHelpText(
  'after',
  `
Examples:
  $ freshet start                       # port 4566, data in ./freshet-data
  $ freshet start --data-dir /var/lib/freshet --host 0.0.0.0
  $ freshet playground --port 4567      # throwaway in-memory instance
  $ psql -h 127.0.0.1 -p 4566 -U root dev

Environment:
  FRESHET_DATA_DIR          default for --data-dir
  FRESHET_MEMORY_LIMIT      default for --memory-limit
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION
                            credentials and region for an s3:// --object-store
  FRESHET_EXIT_WITH_PARENT  a pid: shut down when that process exits (for supervisors and test harnesses)`,
);

function parsePort(v: string): number {
  const n = Number(v);
  // InvalidArgumentError: commander reports it as a usage error instead of a stack trace.
  if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`invalid port: ${v} (expected 0-65535)`);
  return n;
}

function parsePositive(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1) throw new InvalidArgumentError(`invalid value: ${v} (expected a positive integer)`);
  return n;
}

async function run(opts: { host: string; port: number; dataDir: string | null; logLevel: LogLevel; storage?: ServerOptions['storage'] }): Promise<void> {
  // Loaded lazily so `--help` and `--version` answer instantly without loading the engine.
  const { createLogger, startServer } = await import('@freshet/server');
  const logger = createLogger(opts.logLevel);
  let server;
  try {
    server = await startServer({ host: opts.host, port: opts.port, dataDir: opts.dataDir, logger, storage: opts.storage });
  } catch (e) {
    logger.error(`failed to start: ${(e as Error).message}`);
    process.exit(1);
  }
  const stop = async (why: string) => {
    logger.info(`shutting down: ${why}`);
    const timer = setTimeout(() => process.exit(1), 5000);
    timer.unref();
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT received'));
  process.once('SIGTERM', () => void stop('SIGTERM received'));
  watchParent(process.env.FRESHET_EXIT_WITH_PARENT, stop);
  // A bug in one connection must never take the server down; log it and carry on.
  process.on('uncaughtException', (e) => logger.error(`uncaught exception: ${e.stack ?? e}`));
  process.on('unhandledRejection', (e) => logger.error(`unhandled rejection: ${(e as Error)?.stack ?? e}`));
}

/**
 * FRESHET_EXIT_WITH_PARENT=<pid>: shut down when that process is gone. Test harnesses and
 * supervisors set it so a server they started cannot outlive them when they are killed
 * without a chance to clean up (a timed-out test worker, a kill -9 of the runner).
 */
function watchParent(pidText: string | undefined, stop: (why: string) => Promise<void>): void {
  const pid = Number(pidText);
  if (!pidText || !Number.isInteger(pid) || pid <= 0) return;
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0); // signal 0: only checks that the process exists
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') return; // exists, owned by someone else
      clearInterval(timer);
      void stop(`parent process ${pid} exited`);
    }
  }, 1000);
  timer.unref();
}

await program.parseAsync(process.argv);
