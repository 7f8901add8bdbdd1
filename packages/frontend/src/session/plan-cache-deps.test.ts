import { describe, expect, it } from 'vitest';
import { parseSql } from '@freshet/sql';
import { openTestSession } from '../query/testing';
import { recordingContext } from './plan-cache-deps';
import { prepareQueryCommand } from './query-command';
import { queryContext } from './query-context';
import type { FrontendSession } from './session';

async function setup() {
  const db = await openTestSession();
  await db.run('CREATE TABLE a (k int PRIMARY KEY, v int); CREATE TABLE b (k int, w int); CREATE VIEW bv AS SELECT k, w FROM b');
  const session = (await db.frontend.connect({ user: 'root', database: 'dev', params: {} })) as FrontendSession;
  const plan = (sql: string) => {
    const { ctx, deps } = recordingContext(queryContext(session));
    prepareQueryCommand(session, parseSql(sql)[0] as never, [], ctx);
    deps.freeze();
    return { ctx, deps };
  };
  return { db, session, plan };
}

describe('PlanDependencies', () => {
  it('records the relations a plan reads, through views, and sees them replaced', async () => {
    const { db, session, plan } = await setup();
    const { deps } = plan('SELECT a.v, bv.w FROM a JOIN bv USING (k) WHERE a.k = 1');
    expect(deps.uncacheable).toBeNull();
    expect(deps.stillValid(session.frontend.catalog)).toBe(true);
    await db.run('ALTER TABLE b ADD COLUMN x int'); // only the table under the view changes
    expect(deps.stillValid(session.frontend.catalog)).toBe(false);
  });

  it('marks plans that read system relations or session information uncacheable', async () => {
    const { plan } = await setup();
    expect(plan('SELECT pg_backend_pid()').deps.uncacheable).toMatch(/session/);
    expect(plan('SELECT v FROM a WHERE k = 1').deps.uncacheable).toBeNull();
  });

  it('stops recording once planning is over', async () => {
    const { ctx, deps } = (await setup()).plan('SELECT v FROM a WHERE k = 1');
    const before = deps.size;
    ctx.catalog.resolveRelation('dev', ['public'], null, 'b');
    expect(ctx.session).toBeDefined();
    expect(deps.size).toBe(before);
    expect(deps.uncacheable).toBeNull();
  });
});
