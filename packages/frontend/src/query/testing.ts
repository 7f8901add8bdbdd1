/**
 * In-process database for query-engine unit tests: a playground storage, catalog and one
 * session, driven with SQL text. Rows come back in RisingWave's text format, so tests read
 * like sqllogictest records without a server or wire protocol in between.
 */
import { SqlError, formatDatum } from '@freshet/common';
import type { Cancellation } from '@freshet/batch';
import { initParser, parseSql } from '@freshet/sql';
import { type StorageOptions, openStorage } from '@freshet/storage';
import { Catalog } from '../catalog/catalog';
import { Frontend, type FrontendOptions } from '../session/session-manager';
import type { FrontendSession } from '../session/session';
import { queryContext } from '../session/query-context';
import { prepareQuery } from './prepare';

export interface TestDb {
  readonly frontend: Frontend;
  /** Runs every statement of `sql`; returns the rows of the last one as text (NULL as 'NULL'). */
  query(sql: string): Promise<string[][]>;
  /** Runs `sql` and returns the command tag of its last statement. */
  exec(sql: string): Promise<string>;
  /** Runs one query to completion under `cancel`; resolves to its row count. */
  runCancellable(sql: string, cancel: Cancellation): Promise<number>;
  /** Runs `sql`; resolves to the SQLSTATE it fails with, or 'ok' (error-path tests). */
  sqlState(sql: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestFrontend {
  readonly frontend: Frontend;
  /** Stops the streaming engine's barrier timer and closes storage. */
  close(): Promise<void>;
}

/**
 * Storage (in memory, or persisted under `dataDir` for restart tests), catalog and frontend,
 * wired the way the server wires them — one place, so tests and in-process tools don't each
 * repeat (and drift from) the open/load/ready sequence.
 */
/** Where and how the in-process node keeps its data (`dataDir` absent: in memory). */
export interface TestNodeOptions {
  dataDir?: string;
  storage?: Omit<StorageOptions, 'dataDir'>;
  frontend?: FrontendOptions;
}

export async function openTestFrontend(opts: TestNodeOptions = {}): Promise<TestFrontend> {
  await initParser();
  const storage = openStorage({ ...opts.storage, dataDir: opts.dataDir });
  const catalog = new Catalog(storage);
  catalog.load(await storage.open());
  await catalog.ready;
  const frontend = new Frontend(catalog, storage, opts.frontend);
  return {
    frontend,
    close: async () => {
      frontend.streaming.close();
      await storage.close();
    },
  };
}

/** A frontend with one session whose `run` returns raw rows (restart tests reopen `dataDir`). */
export interface TestSession {
  readonly frontend: Frontend;
  /** Runs every statement of `sql`; returns the rows of all of them, as datums. */
  run(sql: string): Promise<unknown[][]>;
  close(): Promise<void>;
}

export async function openTestSession(opts: TestNodeOptions = {}): Promise<TestSession> {
  const opened = await openTestFrontend(opts);
  const session = await opened.frontend.connect({ user: 'root', database: 'dev', params: {} });
  return {
    frontend: opened.frontend,
    run: async (sql) => {
      const out: unknown[][] = [];
      for (const portal of await session.simpleQuery(sql)) out.push(...(await portal.execute(0)).rows);
      return out;
    },
    close: async () => {
      session.close();
      await opened.close();
    },
  };
}

export async function openTestDb(opts: TestNodeOptions = {}): Promise<TestDb> {
  const opened = await openTestFrontend(opts);
  const session = await opened.frontend.connect({ user: 'root', database: 'dev', params: {} });
  const run = async (sql: string) => {
    let rows: string[][] = [];
    let tag = '';
    for (const portal of await session.simpleQuery(sql)) {
      const fields = portal.fields();
      const res = await portal.execute(0);
      portal.close();
      tag = res.tag;
      rows = fields ? res.rows.map((r) => r.map((d, i) => (d === null ? 'NULL' : formatDatum(fields[i].type, d, session.timeZone())))) : [];
    }
    return { rows, tag };
  };
  return {
    frontend: opened.frontend,
    query: async (sql) => (await run(sql)).rows,
    exec: async (sql) => (await run(sql)).tag,
    runCancellable: async (sql, cancel) => {
      const [stmt] = parseSql(sql);
      if (stmt.kind !== 'pg') throw new Error('runCancellable takes a plain query');
      const ctx = queryContext(session as FrontendSession);
      const exec = prepareQuery(ctx, stmt.node, [], stmt.rw).execute([], { cancel, ctx });
      try {
        return (await exec.next(0)).rows.length;
      } finally {
        exec.close();
      }
    },
    sqlState: async (sql) => {
      try {
        await run(sql);
      } catch (e) {
        if (e instanceof SqlError) return e.code;
        throw e;
      }
      return 'ok';
    },
    close: async () => {
      session.close();
      await opened.close();
    },
  };
}
