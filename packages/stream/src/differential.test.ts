/**
 * Randomized differential tests: random insert/delete/update sequences (NULLs, updates of
 * group and join keys, several barriers) go through an executor into a materialize; after
 * every barrier the MV's committed contents must equal a from-scratch recomputation over
 * the current input, as bags. A failure names the seed that reproduces it.
 */
import { type DataType, type Datum, Op, type Row, StreamChunk, T } from '@freshet/common';
import { type AggImpl, resolveAggregate } from '@freshet/expr';
import { describe, expect, it, vi } from 'vitest';

// Hundreds of random cases per test: generous timeouts for a loaded CI machine.
vi.setConfig({ testTimeout: 60_000 });
import type { AggCallDesc } from './agg/call';
import { HashAggExecutor } from './executor/hash-agg';
import { DedupExecutor } from './executor/dedup';
import { DynamicFilterExecutor, type DynamicFilterOp } from './executor/dynamic-filter';
import { GroupTopNExecutor } from './executor/group-top-n';
import { HashJoinExecutor, type JoinType } from './executor/hash-join';
import { MaterializeExecutor } from './executor/materialize';
import { SimpleAggExecutor } from './executor/simple-agg';
import { SourceExecutor } from './executor/source';
import type { RowPredicate } from './expr';
import { BarrierManager } from './graph/barrier-manager';
import { MemStateStore } from './state/mem-store';
import { StateTableAllocator } from './state/state-table';
import { bag } from './test-util';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return {
    next(): number {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s / 2 ** 32;
    },
    int(n: number): number {
      return Math.floor(this.next() * n);
    },
    pick<T>(a: readonly T[]): T {
      return a[this.int(a.length)];
    },
  };
}
type Rng = ReturnType<typeof rng>;

/**
 * A table under random DML. `row()` makes a new row for an id; changes are queued as
 * chunk records and flushed as chunks of random size.
 */
class RandomTable {
  readonly rows = new Map<number, Row>();
  private nextId = 1;
  private pending: [Op, Row][] = [];
  constructor(
    readonly types: DataType[],
    private readonly r: Rng,
    private readonly makeRow: (id: number, r: Rng) => Row,
  ) {}

  step(): void {
    const x = this.r.next();
    const ids = [...this.rows.keys()];
    if (ids.length === 0 || x < 0.5) {
      const id = this.nextId++;
      const row = this.makeRow(id, this.r);
      this.rows.set(id, row);
      this.pending.push([Op.Insert, row]);
    } else if (x < 0.75) {
      const id = this.r.pick(ids);
      this.pending.push([Op.Delete, this.rows.get(id)!]);
      this.rows.delete(id);
    } else {
      const id = this.r.pick(ids);
      const old = this.rows.get(id)!;
      const row = this.makeRow(id, this.r);
      this.rows.set(id, row);
      this.pending.push([Op.UpdateDelete, old], [Op.UpdateInsert, row]);
    }
  }

  /** The queued changes as chunks (an update pair never split). */
  drain(): StreamChunk[] {
    const out: StreamChunk[] = [];
    let i = 0;
    while (i < this.pending.length) {
      let n = 1 + this.r.int(8);
      if (i + n < this.pending.length && this.pending[i + n - 1][0] === Op.UpdateDelete) n++;
      const part = this.pending.slice(i, i + n);
      out.push(StreamChunk.fromRows(this.types, part.map((p) => p[0]), part.map((p) => p[1])));
      i += n;
    }
    this.pending = [];
    return out;
  }
}

const maybe = (r: Rng, p: number, v: () => Datum): Datum => (r.next() < p ? null : v());

// ---------------------------------------------------------------------------------------
// Aggregation

/** Input: id, k1 int32, k2 varchar, v int32, s varchar, b boolean, sep varchar (always ','). */
const AGG_TYPES: DataType[] = [T.Int32, T.Int32, T.Varchar, T.Int32, T.Varchar, T.Boolean, T.Varchar];

function aggRow(id: number, r: Rng): Row {
  return [
    id,
    maybe(r, 0.15, () => r.int(4)),
    maybe(r, 0.15, () => r.pick(['a', 'b', 'c'])),
    maybe(r, 0.2, () => r.int(21) - 10),
    maybe(r, 0.2, () => r.pick(['x', 'y', 'zz', 'w'])),
    maybe(r, 0.2, () => r.next() < 0.5),
    ',',
  ];
}

interface RefCall {
  impl: AggImpl;
  args: number[];
  distinct?: boolean;
  filter?: number;
  orderById?: boolean;
}

const AGG_CALLS: RefCall[] = [
  { impl: resolveAggregate('count', []), args: [] },
  { impl: resolveAggregate('count', [T.Int32]), args: [3] },
  { impl: resolveAggregate('sum', [T.Int32]), args: [3] },
  { impl: resolveAggregate('avg', [T.Int32]), args: [3] },
  { impl: resolveAggregate('min', [T.Int32]), args: [3] },
  { impl: resolveAggregate('max', [T.Int32]), args: [3] },
  { impl: resolveAggregate('min', [T.Varchar]), args: [4] },
  { impl: resolveAggregate('max', [T.Varchar]), args: [4] },
  { impl: resolveAggregate('count', [T.Int32], { distinct: true }), args: [3], distinct: true },
  { impl: resolveAggregate('sum', [T.Int32], { distinct: true }), args: [3], distinct: true },
  { impl: resolveAggregate('string_agg', [T.Varchar, T.Varchar], { distinct: true }), args: [4, 6], distinct: true },
  { impl: resolveAggregate('sum', [T.Int32]), args: [3], filter: 5 },
  { impl: resolveAggregate('count', []), args: [], filter: 5 },
  { impl: resolveAggregate('string_agg', [T.Varchar, T.Varchar]), args: [4, 2], orderById: true },
  { impl: resolveAggregate('array_agg', [T.Int32]), args: [3], orderById: true },
  { impl: resolveAggregate('bool_and', [T.Boolean]), args: [5] },
  { impl: resolveAggregate('bool_or', [T.Boolean]), args: [5] },
];

function toDesc(c: RefCall): AggCallDesc {
  return {
    impl: c.impl,
    args: c.args,
    distinct: c.distinct ?? false,
    filter: c.filter ?? null,
    orderBy: c.orderById ? [{ column: 0 }] : undefined,
  };
}

/** GROUP BY groupKey over `rows`, from scratch, with the AggImpls themselves. */
function recomputeAgg(rows: Row[], groupKey: number[], calls: RefCall[]): Row[] {
  const sorted = [...rows].sort((a, b) => (a[0] as number) - (b[0] as number));
  const groups = new Map<string, Row[]>();
  for (const r of sorted) {
    const k = JSON.stringify(groupKey.map((c) => r[c]));
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  if (groupKey.length === 0 && groups.size === 0) groups.set('[]', []);
  const out: Row[] = [];
  for (const [k, g] of groups) {
    const vals = calls.map((c) => {
      // The reference impls were resolved with { distinct } themselves.
      const st = c.impl.create();
      for (const r of g) {
        if (c.filter !== undefined && r[c.filter] !== true) continue;
        st.add(c.args.map((a) => r[a]));
      }
      return st.result();
    });
    out.push([...(JSON.parse(k) as Datum[]), ...vals]);
  }
  return out;
}

/** Normalises order-insensitive string_agg(DISTINCT) results so both sides compare as sets. */
function normalise(rows: Row[], col: number): Row[] {
  return rows.map((r) => r.map((v, i) => (i === col && typeof v === 'string' ? v.split(',').sort().join(',') : v)));
}

function runAggCase(seed: number, groupKey: number[]): void {
  const r = rng(seed);
  const calls = AGG_CALLS;
  const store = new MemStateStore();
  const manager = new BarrierManager(store);
  const tables = new StateTableAllocator(store, 1);
  const src = new SourceExecutor(AGG_TYPES);
  manager.addSource(src);
  const descs = calls.map(toDesc);
  const agg =
    groupKey.length === 0
      ? src.connect(new SimpleAggExecutor({ inputTypes: AGG_TYPES, calls: descs, tables }))
      : src.connect(new HashAggExecutor({ inputTypes: AGG_TYPES, groupKey, calls: descs, tables, chunkSize: 4 }));
  const mv = agg.connect(new MaterializeExecutor({ types: agg.types, pk: [...groupKey.keys()], tables, collector: manager.registerCollector() }));
  const table = new RandomTable(AGG_TYPES, r, aggRow);
  // string_agg(DISTINCT …) has no ORDER BY, so its element order is unspecified: compare as a set.
  const distinctAggCol = groupKey.length + AGG_CALLS.findIndex((c) => c.distinct && c.impl.name === 'string_agg');
  const steps = 20 + r.int(120);
  for (let s = 0; s < steps; s++) {
    table.step();
    if (r.next() < 0.15 || s === steps - 1) {
      for (const c of table.drain()) src.pushChunk(c);
      manager.injectBarrier();
      const want = normalise(recomputeAgg([...table.rows.values()], groupKey, calls), distinctAggCol);
      const got = normalise([...mv.table.scanCommitted()], distinctAggCol);
      expect(bag(got), `seed ${seed}, group key [${groupKey}], step ${s}`).toEqual(bag(want));
    }
  }
}

describe('differential: hash/simple agg vs recomputation', () => {
  it('GROUP BY k1, k2 (int, varchar) with every supported aggregate', () => {
    for (let seed = 1; seed <= 60; seed++) runAggCase(seed, [1, 2]);
  });
  it('GROUP BY k1 and GROUP BY k2', () => {
    for (let seed = 100; seed <= 140; seed++) runAggCase(seed, [seed % 2 === 0 ? 1 : 2]);
  });
  it('no GROUP BY (simple agg)', () => {
    for (let seed = 200; seed <= 230; seed++) runAggCase(seed, []);
  });
});

// ---------------------------------------------------------------------------------------
// Join

/** Both sides: id int32, k int32 (small domain, NULLs), v varchar. */
const JOIN_TYPES: DataType[] = [T.Int32, T.Int32, T.Varchar];
const joinRow = (id: number, r: Rng): Row => [id, maybe(r, 0.2, () => r.int(3)), maybe(r, 0.2, () => r.pick(['a', 'b', 'c', 'd']))];

function recomputeJoin(left: Row[], right: Row[], type: JoinType, nullSafe: boolean, cond: RowPredicate | null): Row[] {
  const out: Row[] = [];
  const rightMatched = new Set<Row>();
  for (const l of left) {
    let matched = false;
    for (const rr of right) {
      const keyEq = l[1] === null || rr[1] === null ? nullSafe && l[1] === rr[1] : l[1] === rr[1];
      if (!keyEq) continue;
      const joined = [...l, ...rr];
      if (cond && cond(joined) !== true) continue;
      matched = true;
      rightMatched.add(rr);
      out.push(joined);
    }
    if (!matched && (type === 'left' || type === 'full')) out.push([...l, null, null, null]);
  }
  if (type === 'right' || type === 'full') for (const rr of right) if (!rightMatched.has(rr)) out.push([null, null, null, ...rr]);
  return out;
}

function runJoinCase(seed: number, type: JoinType, nullSafe: boolean, withCond: boolean): void {
  const r = rng(seed);
  const store = new MemStateStore();
  const manager = new BarrierManager(store);
  const tables = new StateTableAllocator(store, 1);
  const ls = new SourceExecutor(JOIN_TYPES);
  const rs = new SourceExecutor(JOIN_TYPES);
  manager.addSource(ls);
  manager.addSource(rs);
  // l.v < r.v (NULL → not TRUE)
  const cond: RowPredicate | null = withCond ? (row) => (row[2] === null || row[5] === null ? null : (row[2] as string) < (row[5] as string)) : null;
  const join = new HashJoinExecutor({
    joinType: type,
    leftTypes: JOIN_TYPES,
    rightTypes: JOIN_TYPES,
    leftKeys: [1],
    rightKeys: [1],
    nullSafe: [nullSafe],
    leftPk: [0],
    rightPk: [0],
    condition: cond,
    tables,
    chunkSize: 3,
  });
  ls.connect(join.left);
  rs.connect(join.right);
  const mv = join.connect(new MaterializeExecutor({ types: join.types, pk: [0, 3], tables, collector: manager.registerCollector() }));
  const lt = new RandomTable(JOIN_TYPES, r, joinRow);
  const rt = new RandomTable(JOIN_TYPES, r, joinRow);
  const steps = 20 + r.int(100);
  for (let s = 0; s < steps; s++) {
    (r.next() < 0.5 ? lt : rt).step();
    if (r.next() < 0.2 || s === steps - 1) {
      // Interleave the two sides' chunks randomly within the epoch.
      const lc = lt.drain();
      const rc = rt.drain();
      while (lc.length + rc.length > 0) {
        if (rc.length === 0 || (lc.length > 0 && r.next() < 0.5)) ls.pushChunk(lc.shift()!);
        else rs.pushChunk(rc.shift()!);
      }
      manager.injectBarrier();
      const want = recomputeJoin([...lt.rows.values()], [...rt.rows.values()], type, nullSafe, cond);
      expect(bag([...mv.table.scanCommitted()]), `seed ${seed}, ${type} join, nullSafe ${nullSafe}, condition ${withCond}, step ${s}`).toEqual(bag(want));
    }
  }
}

describe('differential: hash join vs nested-loop recomputation', () => {
  for (const type of ['inner', 'left', 'right', 'full'] as const) {
    it(`${type} join, plain / IS NOT DISTINCT FROM / extra condition`, () => {
      for (let seed = 1; seed <= 25; seed++) {
        runJoinCase(seed * 7 + 1, type, false, false);
        runJoinCase(seed * 7 + 2, type, true, false);
        runJoinCase(seed * 7 + 3, type, seed % 2 === 0, true);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
// Group top-N and dedup (inputs: the join tables' shape: id, k, v)

function compareNullable(a: Datum, b: Datum, desc: boolean): number {
  // PostgreSQL defaults: ASC NULLS LAST, DESC NULLS FIRST — NULL is "largest" either way.
  if (a === b) return 0;
  if (a === null) return desc ? -1 : 1;
  if (b === null) return desc ? 1 : -1;
  const c = a < b ? -1 : 1;
  return desc ? -c : c;
}

function recomputeTopN(rows: Row[], grouped: boolean, desc: boolean, limit: number, offset: number): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = grouped ? JSON.stringify(r[1]) : '';
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  const out: Row[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => compareNullable(a[2], b[2], desc) || (a[0] as number) - (b[0] as number));
    out.push(...g.slice(offset, offset + limit));
  }
  return out;
}

function runTopNCase(seed: number): void {
  const r = rng(seed);
  const grouped = r.next() < 0.5;
  const desc = r.next() < 0.5;
  const limit = 1 + r.int(3);
  const offset = r.int(2);
  const store = new MemStateStore();
  const manager = new BarrierManager(store);
  const tables = new StateTableAllocator(store, 1);
  const src = new SourceExecutor(JOIN_TYPES);
  manager.addSource(src);
  const top = src.connect(
    new GroupTopNExecutor({ types: JOIN_TYPES, groupKey: grouped ? [1] : [], orderBy: [{ column: 2, desc }], pk: [0], limit, offset, tables, chunkSize: 3 }),
  );
  const mv = top.connect(new MaterializeExecutor({ types: JOIN_TYPES, pk: [0], tables, collector: manager.registerCollector() }));
  const t = new RandomTable(JOIN_TYPES, r, joinRow);
  const steps = 20 + r.int(100);
  for (let s = 0; s < steps; s++) {
    t.step();
    if (r.next() < 0.2 || s === steps - 1) {
      for (const c of t.drain()) src.pushChunk(c);
      manager.injectBarrier();
      const want = recomputeTopN([...t.rows.values()], grouped, desc, limit, offset);
      expect(bag([...mv.table.scanCommitted()]), `seed ${seed}, grouped ${grouped}, desc ${desc}, limit ${limit}, offset ${offset}, step ${s}`).toEqual(bag(want));
    }
  }
}

function runDedupCase(seed: number): void {
  const r = rng(seed);
  const store = new MemStateStore();
  const manager = new BarrierManager(store);
  const tables = new StateTableAllocator(store, 1);
  const src = new SourceExecutor(JOIN_TYPES);
  manager.addSource(src);
  // SELECT DISTINCT k, v: project away the id first (a Project in a real plan).
  const types = [T.Int32, T.Varchar];
  const dedup = new DedupExecutor({ types, tables });
  src.connect({ push: (m) => dedup.push(m instanceof StreamChunk ? m.withColumns(m.columns.slice(1)) : m) });
  const mv = dedup.connect(new MaterializeExecutor({ types, pk: [0, 1], tables, collector: manager.registerCollector() }));
  const t = new RandomTable(JOIN_TYPES, r, joinRow);
  for (let s = 0; s < 80; s++) {
    t.step();
    if (r.next() < 0.2 || s === 79) {
      for (const c of t.drain()) src.pushChunk(c);
      manager.injectBarrier();
      const want = new Map([...t.rows.values()].map((row) => [JSON.stringify(row.slice(1)), row.slice(1)]));
      expect(bag([...mv.table.scanCommitted()]), `seed ${seed}, step ${s}`).toEqual(bag([...want.values()]));
    }
  }
}

describe('differential: top-N and dedup vs recomputation', () => {
  it('group top-N / top-N with random limit, offset and direction', () => {
    for (let seed = 1; seed <= 80; seed++) runTopNCase(seed);
  });
  it('dedup (SELECT DISTINCT)', () => {
    for (let seed = 1; seed <= 30; seed++) runDedupCase(seed);
  });
});

// ---------------------------------------------------------------------------------------
// Dynamic filter: k op (a changing single value)

function runDynamicFilterCase(seed: number): void {
  const r = rng(seed);
  const op = r.pick(['>', '>=', '<', '<='] as DynamicFilterOp[]);
  const store = new MemStateStore();
  const manager = new BarrierManager(store);
  const tables = new StateTableAllocator(store, 1);
  const left = new SourceExecutor(JOIN_TYPES);
  const right = new SourceExecutor([T.Int32]);
  manager.addSource(left);
  manager.addSource(right);
  const f = new DynamicFilterExecutor({ leftTypes: JOIN_TYPES, column: 1, op, leftPk: [0], tables });
  left.connect(f.left);
  right.connect(f.right);
  const mv = f.connect(new MaterializeExecutor({ types: JOIN_TYPES, pk: [0], tables, collector: manager.registerCollector() }));
  const t = new RandomTable(JOIN_TYPES, r, joinRow);
  let bound: number | null = null;
  const cmp = (v: number): boolean => (op === '>' ? v > bound! : op === '>=' ? v >= bound! : op === '<' ? v < bound! : v <= bound!);
  for (let s = 0; s < 80; s++) {
    t.step();
    if (r.next() < 0.1) {
      const next: number | null = r.next() < 0.15 ? null : r.int(4);
      const ops: Op[] = [];
      const rows: Row[] = [];
      if (bound !== null && next !== null) ops.push(Op.UpdateDelete, Op.UpdateInsert), rows.push([bound], [next]);
      else if (bound !== null) ops.push(Op.Delete), rows.push([bound]);
      else if (next !== null) ops.push(Op.Insert), rows.push([next]);
      if (ops.length > 0) right.pushChunk(StreamChunk.fromRows([T.Int32], ops, rows));
      bound = next;
    }
    if (r.next() < 0.2 || s === 79) {
      for (const c of t.drain()) left.pushChunk(c);
      manager.injectBarrier();
      const want = bound === null ? [] : [...t.rows.values()].filter((row) => row[1] !== null && cmp(row[1] as number));
      expect(bag([...mv.table.scanCommitted()]), `seed ${seed}, op ${op}, step ${s}`).toEqual(bag(want));
    }
  }
}

describe('differential: dynamic filter vs recomputation', () => {
  it('k op (changing value), NULL bounds included', () => {
    for (let seed = 1; seed <= 60; seed++) runDynamicFilterCase(seed);
  });
});
