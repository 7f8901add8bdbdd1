/**
 * The server a conformance test talks to. Normally Freshet; with
 * `FRESHET_TEST_TARGET=postgres` a real PostgreSQL instead, which validates the test
 * scripts themselves against the system whose protocol Freshet speaks.
 */
import { startFreshet, type FreshetOptions } from './freshet';
import { startPostgres } from './postgres';

export type TargetKind = 'freshet' | 'postgres';

export interface TestTarget {
  kind: TargetKind;
  url: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** Server output so far, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export function targetKind(): TargetKind {
  const v = (process.env.FRESHET_TEST_TARGET ?? 'freshet').toLowerCase();
  if (v !== 'freshet' && v !== 'postgres') throw new Error(`FRESHET_TEST_TARGET must be freshet or postgres, got ${v}`);
  return v;
}

export async function startTestTarget(opts: FreshetOptions = { playground: true }): Promise<TestTarget> {
  if (targetKind() === 'postgres') {
    const pg = await startPostgres();
    return { kind: 'postgres', url: pg.url, host: pg.host, port: pg.port, user: pg.user, database: 'postgres', logs: pg.logs, stop: pg.stop };
  }
  const f = await startFreshet(opts);
  return {
    kind: 'freshet',
    url: f.url,
    host: f.host,
    port: f.port,
    user: 'root',
    database: 'dev',
    logs: () => f.logs.toString(),
    stop: f.stop,
  };
}
