import { describe, expect, it } from 'vitest';
import { SqlError, StructValue, T } from '@freshet/common';
import { defaultNexmarkConfig, NEXMARK_TABLE_BASE_TIME, parseNexmarkProperties } from './config';
import { EventGenerator, GeneratorConfig } from './generator';
import { nexmarkConnector } from '.';
import type { SourceSpec } from '../api';

const spec = (options: Record<string, string>, columns: SourceSpec['columns'] = []): SourceSpec => ({
  name: 's',
  connector: 'nexmark',
  options: { connector: 'nexmark', ...options },
  columns,
});

/** Reads every row of a bounded spec at full speed (`columns`: the columns the job reads). */
function readAll(s: SourceSpec, columns?: boolean[]): unknown[][] {
  const r = nexmarkConnector.open!(s, { now: () => 0, unthrottled: true, columns });
  const out: unknown[][] = [];
  for (let rows = r.pull(1000); rows.length > 0; rows = r.pull(1000)) out.push(...rows);
  expect(r.exhausted).toBe(true);
  return out;
}

describe('nexmark generator', () => {
  it('generates the reference generator event 0 bit for bit', () => {
    // The nexmark crate's own test vector (event 0 of the default configuration).
    const g = new GeneratorConfig(defaultNexmarkConfig(0));
    const e = g.event(0);
    expect(e.type).toBe('person');
    if (e.type !== 'person') return;
    expect(e.person).toMatchObject({
      id: 1000,
      name: 'vicky noris',
      emailAddress: 'yplkvgz@qbxfg.com',
      creditCard: '7878 5821 1864 2539',
      city: 'cheyenne',
      state: 'az',
      dateTime: 0,
    });
    expect(e.person.extra.startsWith('lwaiyhjhrkaruidlsjilvqccyedttedeynpqmackqbwvklwuyypztnkengzgtwtjivjgrxurskpcldfohdzuwnefqymyncrksxyfaecwsbswjumzxudgoznyhakxrudomnxtmqtgshecfjgspxzpludz')).toBe(true);
  });

  it('keeps the 1:3:46 proportions, dense ids from 1000 and 0.1 ms between events', () => {
    const g = new GeneratorConfig(defaultNexmarkConfig(0));
    const counts = { person: 0, auction: 0, bid: 0 };
    const persons: number[] = [];
    const auctions: number[] = [];
    for (let n = 0; n < 5000; n++) {
      const e = g.event(n);
      counts[e.type]++;
      if (e.type === 'person') persons.push(e.person.id);
      if (e.type === 'auction') auctions.push(e.auction.id);
      if (e.type === 'bid') {
        expect(e.bid.auction).toBeGreaterThanOrEqual(1000);
        expect(e.bid.price).toBeGreaterThan(0);
        expect(e.bid.dateTime).toBe(Math.round(n / 10));
      }
    }
    expect(counts).toEqual({ person: 100, auction: 300, bid: 4600 });
    expect(persons).toEqual(persons.map((_, i) => 1000 + i));
    expect(auctions).toEqual(auctions.map((_, i) => 1000 + i));
  });

  it('splits partition the event sequence (offset split_index, step split_num)', () => {
    const g = new GeneratorConfig(defaultNexmarkConfig(0));
    const one = new EventGenerator(g, 0, 1, 'bid');
    const whole = Array.from({ length: 20 }, () => one.next());
    const a = new EventGenerator(g, 0, 2, 'bid');
    const b = new EventGenerator(g, 1, 2, 'bid');
    const interleaved = Array.from({ length: 10 }, () => [a.next(), b.next()]).flat();
    expect(interleaved).toEqual(whole);
  });
});

describe('nexmark connector', () => {
  it('is deterministic, bounded by nexmark.event.num and resumable by offsets', () => {
    const s = spec({ 'nexmark.table.type': 'Bid', 'nexmark.event.num': '500', 'nexmark.split.num': '3' });
    const all = readAll(s);
    expect(all.length).toBe(460); // 46 of every 50 events are bids
    expect(readAll(s)).toEqual(all);
    const r = nexmarkConnector.open!(s, { now: () => 0, unthrottled: true });
    const first = r.pull(100);
    const r2 = nexmarkConnector.open!(s, { now: () => 0, unthrottled: true });
    r2.seek(r.offsets());
    const rest: unknown[][] = [];
    for (let rows = r2.pull(1000); rows.length > 0; rows = r2.pull(1000)) rest.push(...rows);
    expect([...first, ...rest].length).toBe(460);
    expect(new Set([...first, ...rest].map((x) => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? String(v) : v)))).size).toBe(460);
  });

  it('uses RisingWave column layouts, the 2015-07-15 base time for typed sources and maps columns by name', () => {
    expect(nexmarkConnector.validate(spec({ 'nexmark.table.type': 'Person' })).map((c) => c.name)).toEqual([
      'id', 'name', 'email_address', 'credit_card', 'city', 'state', 'date_time', 'extra',
    ]);
    expect(nexmarkConnector.validate(spec({})).map((c) => c.name)).toEqual(['event_type', 'person', 'auction', 'bid']);
    const rows = readAll(spec({ 'nexmark.table.type': 'Person', 'nexmark.event.num': '100' }, [
      { name: 'date_time', type: T.Timestamp },
      { name: 'name', type: T.Varchar },
    ]));
    expect(rows[0]).toEqual([NEXMARK_TABLE_BASE_TIME * 1000, 'vicky noris']);
    const combined = readAll(spec({ 'nexmark.event.num': '3', 'nexmark.base.time': '0' }));
    expect(combined.map((r) => r[0])).toEqual([0n, 1n, 1n]); // person, then auctions (1:3:46)
    expect(combined[0][1]).toBeInstanceOf(StructValue);
    expect(combined[0][2]).toBeNull();
  });

  it('leaves unread columns NULL and generates the read ones exactly as in full rows', () => {
    // Every mask below skips strings whose draws come before fields it keeps (person email,
    // auction description) or the trailing extra, so the skipped draws must still be made.
    const masks: Record<string, number[][]> = {
      Bid: [[2], [5], [6], [0, 6], [3, 4], [0, 1, 2, 5], []],
      Person: [[0], [7], [3, 4], [1, 6]],
      Auction: [[0], [9], [3, 7], [1], [6, 8]],
    };
    for (const [type, list] of Object.entries(masks)) {
      const s = spec({ 'nexmark.table.type': type, 'nexmark.event.num': '3000', 'nexmark.split.num': '2' });
      const full = readAll(s);
      for (const cols of list) {
        const read = full[0].map((_, j) => cols.includes(j));
        expect(readAll(s, read), `${type} reading ${cols}`).toEqual(full.map((r) => r.map((v, j) => (read[j] ? v : null))));
      }
    }
    // Picked columns (declared in another order) and the combined layout (an unread struct is not generated).
    const picked = spec({ 'nexmark.table.type': 'Bid', 'nexmark.event.num': '500' }, [
      { name: 'extra', type: T.Varchar },
      { name: 'price', type: T.Int64 },
    ]);
    expect(readAll(picked, [false, true])).toEqual(readAll(picked).map((r) => [null, r[1]]));
    const combined = spec({ 'nexmark.event.num': '500', 'nexmark.base.time': '0' });
    expect(readAll(combined, [true, false, false, true])).toEqual(readAll(combined).map((r) => [r[0], null, null, r[3]]));
  });

  it('paces events by nexmark.min.event.gap.in.ns', () => {
    let now = 0;
    const r = nexmarkConnector.open!(spec({ 'nexmark.min.event.gap.in.ns': '1000000' }), { now: () => now }); // 1 ms per event
    expect(r.pull(1000).length).toBe(1);
    now = 10;
    expect(r.pull(1000).length).toBe(10);
    expect(r.pull(1000).length).toBe(0);
  });

  it('rejects bad options with the option named', () => {
    const err = (o: Record<string, string>, cols: SourceSpec['columns'] = []) => {
      try {
        nexmarkConnector.validate(spec(o, cols));
      } catch (e) {
        expect(e).toBeInstanceOf(SqlError);
        return `${(e as SqlError).code} ${(e as SqlError).message}`;
      }
      return 'no error';
    };
    expect(err({ 'nexmark.table.type': 'Bids' })).toMatch(/^22023 Invalid nexmark.table.type: Bids/);
    expect(err({ 'nexmark.event.num': '-1' })).toMatch(/^22023 .*nexmark.event.num/);
    expect(err({ 'nexmark.split.num': '0' })).toMatch(/^22023 nexmark.split.num/);
    expect(err({ 'nexmark.evnt.num': '10' })).toMatch(/^22023 unknown option nexmark.evnt.num/);
    expect(err({ 'nexmark.table.type': 'Bid' }, [{ name: 'nope', type: T.Int64 }])).toMatch(/^22023 column "nope" is not a nexmark field/);
    expect(err({ 'nexmark.table.type': 'Bid' }, [{ name: 'price', type: T.Int32 }])).toMatch(/^42804 column "price" .* must be bigint, not integer/);
    expect(parseNexmarkProperties({}, 5).config.baseTime).toBe(5);
  });
});
