import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SEED_MVS,
  SEED_USER_EVENTS_SOURCE,
  SEED_USER_EVENTS_TOPIC,
  asPostgresView,
  clicksInMessages,
  eventBatch,
  expectedFeatures,
  insertSql,
  isTransaction,
  seedUserEventsSource,
  userEventMessage,
  verificationQueries,
  withoutTemporalFilter,
} from './feature-pipeline';

const SEEDS = '/work/shared/seeds';
const seedText = (() => {
  if (!existsSync(SEEDS)) return null;
  const f = readdirSync(SEEDS).find((n) => n.startsWith('000_'));
  return f ? readFileSync(`${SEEDS}/${f}`, 'utf8') : null;
})();

describe('feature pipeline', () => {
  it.skipIf(seedText === null)('uses the seed article MVs verbatim', () => {
    for (const mv of SEED_MVS) expect(seedText).toContain(mv.sql);
  });

  it('strips exactly the temporal filter line', () => {
    const [purchases, sessions] = SEED_MVS;
    const p = withoutTemporalFilter(purchases.sql);
    expect(p).not.toMatch(/NOW\(\)/);
    expect(p).toContain('FROM transactions\nGROUP BY user_id;');
    const s = withoutTemporalFilter(sessions.sql);
    expect(s).not.toMatch(/NOW\(\)/);
    expect(s).toContain("COUNT(*) FILTER (WHERE event_type = 'click')");
    expect(withoutTemporalFilter(SEED_MVS[2].sql)).toBe(SEED_MVS[2].sql);
    expect(asPostgresView(sessions.sql)).toMatch(/^CREATE VIEW user_session_features AS/);
  });

  it('splits a batch into events and purchases, four text params a row', () => {
    const b = eventBatch(0, 20, 5, '2026-01-01 00:00:00+00');
    expect(b.eventRows).toBe(18);
    expect(b.transactionRows).toBe(2);
    expect(b.transactions.slice(0, 4)).toEqual(['9', '1', '3.34', '2026-01-01 00:00:00+00']);
    expect(b.transactions.slice(4, 6)).toEqual(['19', String(((1 * 4099) % 5) + 1)]);
    // Events walk the users in order of their own ordinal, skipping the purchases.
    expect([b.events[0], b.events[4], b.events[9 * 4]]).toEqual(['1', String((7919 % 5) + 1), String(((9 * 7919) % 5) + 1)]);
    expect(isTransaction(19)).toBe(true);
    expect(insertSql('user_events', 2)).toBe('INSERT INTO user_events (user_id, event_type, item_id, timestamp) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)');
  });

  it('gives every user events and spreads purchases over users with sessions', () => {
    const e = expectedFeatures(10_000, 1000);
    expect(e.usersWithEvents).toBe(1000);
    expect(e.usersWithPurchases).toBe(1000);
    expect(e.purchasesOfEventUsers).toBe(e.purchases);
  });

  it('computes the expected feature totals', () => {
    const e = expectedFeatures(20, 5);
    expect(e.clicks + e.views).toBeLessThanOrEqual(18);
    expect(e.purchases).toBe(2);
    expect(e.usersWithEvents).toBe(5);
    expect(e.purchaseCents).toBe(BigInt(((9 * 37) % 10_000) + 1 + ((19 * 37) % 10_000) + 1));
    const q = verificationQueries(e);
    expect(q[1].expect[2]).toBe('10.38');
  });
});

describe('the seed pipeline over Kafka', () => {
  it.skipIf(seedText === null)("uses the seed's Kafka source verbatim, only the broker address changed", () => {
    expect(seedText).toContain(SEED_USER_EVENTS_SOURCE);
    const s = seedUserEventsSource('127.0.0.1:39092');
    expect(s).toBe(SEED_USER_EVENTS_SOURCE.replace("'kafka:9092'", "'127.0.0.1:39092'"));
    expect(s).toContain(`topic = '${SEED_USER_EVENTS_TOPIC}'`);
  });

  it("walks the table path's users as JSON messages, and counts their clicks", () => {
    const b = eventBatch(0, 30, 5, 'ts');
    for (let k = 0; k < b.eventRows; k++) {
      const m = JSON.parse(userEventMessage(k, 5, '2026-01-01T00:00:00.000Z'));
      expect(String(m.user_id)).toBe(b.events[k * 4]);
      expect(['click', 'view', 'add_to_cart']).toContain(m.event_type);
      expect(m.timestamp).toBe('2026-01-01T00:00:00.000Z');
    }
    for (const n of [0, 1, 6, 7, 8, 100, 1001]) {
      let clicks = 0;
      for (let k = 0; k < n; k++) if (JSON.parse(userEventMessage(k, 5, 't')).event_type === 'click') clicks++;
      expect(clicksInMessages(n)).toBe(clicks);
    }
  });
});
