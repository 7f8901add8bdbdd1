import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  NAIVE_RISK_SQL,
  PAGE_COLUMNS,
  SERVING_JOIN_SQL,
  TXN_COLUMNS,
  WIDE_AGGREGATES,
  multiRowInsertSql,
  pageEventCount,
  pageEventParams,
  sessionActivitySelect,
  transactionCount,
  transactionParams,
  userOfSession,
  userOfTransaction,
  hotTxns,
  userRiskSelect,
  type ServingData,
} from './serving-model';

const SEEDS = '/work/shared/seeds';
const seedText = (() => {
  if (!existsSync(SEEDS)) return null;
  const f = readdirSync(SEEDS).find((n) => n.startsWith('004_'));
  return f ? readFileSync(`${SEEDS}/${f}`, 'utf8') : null;
})();

const d: ServingData = { users: 100, hotUsers: 5, baseTxns: 2, hotTxnsMin: 10, hotTxnsMax: 160, sessions: 150, pagesPerSession: 2 };

describe('serving model', () => {
  it.skipIf(seedText === null)("uses seed 004's MVs, serving join and naive query verbatim", () => {
    expect(seedText).toContain(`CREATE MATERIALIZED VIEW user_risk_features AS\n${userRiskSelect()};`);
    expect(seedText).toContain(`CREATE MATERIALIZED VIEW session_activity AS\n${sessionActivitySelect()};`);
    expect(seedText).toContain(`${SERVING_JOIN_SQL};`);
    expect(seedText).toContain(`${NAIVE_RISK_SQL};`);
  });

  it('has a 24-column wide row', () => {
    expect(1 + WIDE_AGGREGATES.length).toBe(24);
    expect(new Set(WIDE_AGGREGATES.map((a) => a.split(' AS ')[1])).size).toBe(WIDE_AGGREGATES.length);
  });

  it('gives hot users base + a log-uniform ladder of extra transactions, every other user base', () => {
    expect([1, 2, 3, 4, 5].map((h) => hotTxns(d, h))).toEqual([160, 80, 40, 20, 10]);
    const n = transactionCount(d);
    expect(n).toBe(100 * 2 + 160 + 80 + 40 + 20 + 10);
    const perUser = new Map<number, number>();
    for (let i = 0; i < n; i++) perUser.set(userOfTransaction(d, i), (perUser.get(userOfTransaction(d, i)) ?? 0) + 1);
    expect(perUser.size).toBe(100);
    for (let u = 1; u <= 5; u++) expect(perUser.get(u)).toBe(2 + hotTxns(d, u));
    for (let u = 6; u <= 100; u++) expect(perUser.get(u)).toBe(2);
    // Interleaved: the first hot round has one transaction of every hot user, in order.
    expect([0, 1, 2, 3, 4].map((k) => userOfTransaction(d, 200 + k))).toEqual([1, 2, 3, 4, 5]);
    expect(userOfTransaction(d, n - 1)).toBe(1);
  });

  it('generates deterministic rows, sessions tied to users by the modulo the lookup uses', () => {
    expect(transactionParams(d, 7, 'ts')).toEqual(transactionParams(d, 7, 'ts'));
    const t = transactionParams(d, 7, 'ts');
    expect(t).toHaveLength(TXN_COLUMNS.length);
    expect(t[0]).toBe('8');
    expect(['approved', 'declined', 'refunded']).toContain(t[4]);
    expect(Number(t[3])).toBeGreaterThanOrEqual(0);
    expect(pageEventCount(d)).toBe(300);
    const p = pageEventParams(d, 151, 'ts');
    expect(p).toHaveLength(PAGE_COLUMNS.length);
    expect(p[1]).toBe('2');
    expect(p[2]).toBe(String(userOfSession(d, 2)));
    expect(userOfSession(d, 101)).toBe(1);
  });

  it('builds prepared multi-row INSERTs', () => {
    expect(multiRowInsertSql('t', ['a', 'b'], 2)).toBe('INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)');
  });
});
