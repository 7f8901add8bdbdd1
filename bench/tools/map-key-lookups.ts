/**
 * Lookups in the state maps by key representation — the figures behind two choices:
 *
 * - `KeyMap` (common/src/key-map.ts) stores a memcomparable key of one small BIGINT as a
 *   number; measured against a `BigMap` of the same key strings.
 * - `GroupKeyer.mapKey` (stream/src/agg/group.ts) caches a BIGINT group under its number;
 *   measured against a Map keyed by the BigInt itself, keys read from a BIGINT column.
 * - A DISTINCT count's or MIN/MAX multiset's key (group key + value key, 18 characters for
 *   two BIGINTs) built flat by `encodeKeyStringAfter`, against `groupKey + valueKey`, a cons
 *   string that each lookup flattens first.
 *
 *   node --import tsx bench/tools/map-key-lookups.ts [--keys 1000000] [--lookups 3000000] [--rounds 3]
 *
 * Keys are visited in a scattered order, as a stream of events visits users. Prints the
 * median ns per lookup of each representation over the rounds, alternating them.
 */
import { parseArgs } from 'node:util';
import { BigMap, Column, KeyMap, T, encodeKeyString, encodeKeyStringAfter } from '@freshet/common';
import { GroupKeyer } from '../../packages/stream/src/agg/group';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    lookups: { type: 'string', default: '3000000' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(values.keys);
const Q = Number(values.lookups);
const ROUNDS = Number(values.rounds);

/** The i-th visited key's value: a scattered walk over 1 … N. */
const valueAt = (q: number) => ((q * 7919) % N) + 1;

function timePerLookup(run: () => number): number {
  const t = performance.now();
  const hits = run();
  const ns = ((performance.now() - t) * 1e6) / Q;
  if (hits !== Q) throw new Error(`expected ${Q} hits, got ${hits}`);
  return ns;
}

function stateKeys(): { keyMap: number; bigMap: number } {
  const keyOf = (v: number) => encodeKeyString([T.Int64], [BigInt(v)]);
  const keyMap = new KeyMap<{ n: number }>();
  const bigMap = new BigMap<string, { n: number }>();
  for (let v = 1; v <= N; v++) {
    keyMap.set(keyOf(v), { n: v });
    bigMap.set(keyOf(v), { n: v });
  }
  // Keys encoded afresh per lookup, as a state table's caller does.
  const probe = (m: { get(k: string): { n: number } | undefined }) => () => {
    let hits = 0;
    for (let q = 0; q < Q; q++) if (m.get(keyOf(valueAt(q))) !== undefined) hits++;
    return hits;
  };
  return { keyMap: timePerLookup(probe(keyMap)), bigMap: timePerLookup(probe(bigMap)) };
}

function groupKeys(): { number: number; bigint: number } {
  const CHUNK = 1024;
  const chunks: Column[][] = [];
  for (let q = 0; q < Q; q += CHUNK) {
    const vals: bigint[] = [];
    for (let i = q; i < Math.min(Q, q + CHUNK); i++) vals.push(BigInt(valueAt(i)));
    chunks.push([Column.fromDatums(T.Int64, vals)]);
  }
  const keyer = new GroupKeyer([T.Int64], [0]);
  const byNumber = new BigMap<unknown, { n: number }>();
  const byBigint = new BigMap<unknown, { n: number }>();
  for (let v = 1; v <= N; v++) {
    byNumber.set(v, { n: v });
    byBigint.set(BigInt(v), { n: v });
  }
  const viaKeyer = () => {
    let hits = 0;
    for (const cols of chunks) for (let i = 0; i < cols[0].length; i++) if (byNumber.get(keyer.mapKey(cols, i)) !== undefined) hits++;
    return hits;
  };
  const viaBigint = () => {
    let hits = 0;
    for (const cols of chunks) {
      const vals = cols[0].values as BigInt64Array;
      for (let i = 0; i < cols[0].length; i++) if (byBigint.get(vals[i]) !== undefined) hits++;
    }
    return hits;
  };
  return { number: timePerLookup(viaKeyer), bigint: timePerLookup(viaBigint) };
}

function compositeKeys(): { flat: number; concatenated: number } {
  // Two values per group, as a user's distinct items: 2N keys over N group keys.
  const groupKey = (q: number) => groupKeys[valueAt(q) - 1];
  const groupKeys = Array.from({ length: N }, (_, i) => encodeKeyString([T.Int64], [BigInt(i + 1)]));
  const second = (q: number) => [BigInt(q & 1)];
  const map = new BigMap<string, { n: number }>();
  for (let q = 0; q < 2 * N; q++) map.set(encodeKeyStringAfter(groupKey(q), [T.Int64], second(q)), { n: q });
  const flat = () => {
    let hits = 0;
    for (let q = 0; q < Q; q++) if (map.get(encodeKeyStringAfter(groupKey(q), [T.Int64], second(q))) !== undefined) hits++;
    return hits;
  };
  const concatenated = () => {
    let hits = 0;
    for (let q = 0; q < Q; q++) if (map.get(groupKey(q) + encodeKeyString([T.Int64], second(q))) !== undefined) hits++;
    return hits;
  };
  return { flat: timePerLookup(flat), concatenated: timePerLookup(concatenated) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = { keyMap: [] as number[], bigMap: [] as number[], number: [] as number[], bigint: [] as number[], flat: [] as number[], concatenated: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  const s = stateKeys();
  const g = groupKeys();
  runs.keyMap.push(s.keyMap);
  runs.bigMap.push(s.bigMap);
  runs.number.push(g.number);
  runs.bigint.push(g.bigint);
  const c = compositeKeys();
  runs.flat.push(c.flat);
  runs.concatenated.push(c.concatenated);
  console.error(`round ${r + 1}/${ROUNDS}: state keys ${s.keyMap.toFixed(0)} / ${s.bigMap.toFixed(0)} ns, group keys ${g.number.toFixed(0)} / ${g.bigint.toFixed(0)} ns, composite keys ${c.flat.toFixed(0)} / ${c.concatenated.toFixed(0)} ns`);
}
const f = (x: number) => `${x.toFixed(0)} ns`;
console.log(`${N.toLocaleString('en-US')} keys, ${Q.toLocaleString('en-US')} lookups, median of ${ROUNDS} rounds:`);
console.log(`  state table key (one BIGINT): KeyMap ${f(median(runs.keyMap))} vs BigMap of strings ${f(median(runs.bigMap))}`);
console.log(`  hash agg group key (BIGINT):  GroupKeyer number ${f(median(runs.number))} vs BigInt key ${f(median(runs.bigint))}`);
console.log(`  group + value key (2 BIGINTs): built flat ${f(median(runs.flat))} vs built by + ${f(median(runs.concatenated))}`);
