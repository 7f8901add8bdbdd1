/**
 * Source column use: the walk finds the columns a plan reads, and MVs whose sources skip
 * the unread columns (nexmark leaves them NULL) hold exactly what the batch query returns —
 * also after a restart, with append-only min/max state restored from a checkpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { T } from '@freshet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RelationCatalog } from '../catalog/model';
import { col } from '../planner/expr';
import { type TestDb, openTestDb } from '../query/testing';
import type { StreamNode, StreamTableScan } from './plan';
import { sourceColumnUse } from './source-columns';

const field = (name: string) => ({ name, type: T.Int64, hidden: false });

describe('sourceColumnUse', () => {
  const scan: StreamTableScan = {
    kind: 'table_scan',
    relation: { kind: 'source' } as RelationCatalog,
    columns: [0, 1, 2, 3, 4],
    schema: ['a', 'b', 'c', 'd', 'e'].map(field),
    streamKey: [4],
  };
  const project = (input: StreamNode, cols: number[]): StreamNode => ({
    kind: 'project',
    input,
    exprs: cols.map((c) => col(c, T.Int64)),
    schema: cols.map((c) => field(`c${c}`)),
    streamKey: [],
  });

  it('a project reads its expressions; a filter adds its predicate; a hop window its time column', () => {
    expect(sourceColumnUse(project(scan, [2, 4])).get(scan)).toEqual(new Set([2, 4]));
    const filter: StreamNode = { kind: 'filter', input: scan, predicate: col(1, T.Boolean), schema: scan.schema, streamKey: [4] };
    expect(sourceColumnUse(project(filter, [0])).get(scan)).toEqual(new Set([0, 1]));
    const hop: StreamNode = { kind: 'hop_window', input: scan, timeCol: 3, slideUs: 1, sizeUs: 2, offsetUs: 0, schema: [...scan.schema, field('ws'), field('we')], streamKey: [] };
    expect(sourceColumnUse(project(hop, [0, 5])).get(scan)).toEqual(new Set([0, 3]));
  });

  it('a join reads its keys, stream keys and condition on each side, plus what passes through', () => {
    const right: StreamTableScan = { ...scan, columns: [0, 1, 2], schema: ['x', 'y', 'z'].map(field), streamKey: [2] };
    const join: StreamNode = {
      kind: 'hash_join', joinType: 'inner', left: scan, right, leftKeys: [0], rightKeys: [0],
      condition: col(6, T.Boolean), schema: [...scan.schema, ...right.schema], streamKey: [4, 7],
    };
    const use = sourceColumnUse(project(join, [1]));
    expect(use.get(scan)).toEqual(new Set([0, 1, 4]));
    expect(use.get(right)).toEqual(new Set([0, 1, 2]));
  });

  it('any other consumer, or none, reads every column', () => {
    expect(sourceColumnUse(scan).get(scan)).toEqual(new Set([0, 1, 2, 3, 4]));
    const top: StreamNode = { kind: 'dedup', input: scan, schema: scan.schema, streamKey: [4] } as unknown as StreamNode;
    expect(sourceColumnUse(project(top, [0])).get(scan)).toEqual(new Set([0, 1, 2, 3, 4]));
  });
});

describe('MVs over a nexmark source that skips unread columns', () => {
  let db: TestDb;
  beforeEach(async () => {
    db = await openTestDb();
    await db.exec(
      "create source bid with (connector = 'nexmark', nexmark.table.type = 'Bid', nexmark.event.num = '3000', nexmark.min.event.gap.in.ns = '0')",
    );
    await db.exec(
      "create source auction with (connector = 'nexmark', nexmark.table.type = 'Auction', nexmark.event.num = '3000', nexmark.min.event.gap.in.ns = '0')",
    );
  });
  afterEach(() => db.close());

  it('hold what the batch query over the whole source returns', async () => {
    const queries = [
      'select auction, price from bid',
      "select price, date_time from bid where channel = 'Google'",
      'select auction, length(extra) as n from bid',
      'select auction, count(*) as c, max(price) as m from bid group by auction',
      "select auction, window_start, count(*) as c from hop(bid, date_time, interval '1' second, interval '2' second) group by auction, window_start",
      // q7's shape: a join on an aggregate of the same source, reading a few bid columns.
      `select b.auction, b.price, b.date_time from bid b join (select max(price) as maxprice, window_end as date_time
         from tumble(bid, date_time, interval '1' second) group by window_end) b1
         on b.price = b1.maxprice where b.date_time between b1.date_time - interval '1' second and b1.date_time`,
      // q9's shape: a group top-1 over a join with an auction source.
      `select id, seller, price from (select a.id, a.seller, b.price, row_number() over (partition by a.id order by b.price desc, b.date_time) as rn
         from auction a join bid b on a.id = b.auction where b.date_time between a.date_time and a.expires) t where rn <= 1`,
    ];
    for (const [i, q] of queries.entries()) {
      await db.exec(`create materialized view m${i} as ${q}`);
      const expected = (await db.query(q)).map((r) => r.join('|')).sort();
      let got: string[] = [];
      for (let tries = 0; tries < 100; tries++) {
        await db.exec('flush');
        got = (await db.query(`select * from m${i}`)).map((r) => r.join('|')).sort();
        if (got.length >= expected.length) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(got, q).toEqual(expected);
    }
  });
});

describe('append-only min/max and pruned source columns across a restart', () => {
  it('resume from the checkpoint with the same extremes the batch query computes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-ao-'));
    try {
      // 20,000 events at 10,000 events/s: still running when the first node stops.
      const source =
        "create source bid with (connector = 'nexmark', nexmark.table.type = 'Bid', nexmark.event.num = '20000', nexmark.min.event.gap.in.ns = '100000')";
      const mv = `select auction % 7 as k, min(price) as lo, max(price) as hi, max(channel) as ch, min(date_time) as t0, count(*) as n from bid group by auction % 7`;
      const a = await openTestDb({ dataDir: dir });
      await a.exec(source);
      await a.exec(`create materialized view m as ${mv}`);
      await new Promise((r) => setTimeout(r, 300));
      await a.exec('flush');
      const partial = await a.query('select sum(n) from m');
      expect(Number(partial[0][0])).toBeLessThan(18_400);
      await a.close();

      const b = await openTestDb({ dataDir: dir });
      const expected = (await b.query(`${mv} order by k`)).map((r) => r.join('|'));
      let got: string[] = [];
      for (let tries = 0; tries < 300; tries++) {
        await b.exec('flush');
        got = (await b.query('select * from m order by k')).map((r) => r.join('|'));
        if (got.join() === expected.join()) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(got).toEqual(expected);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
