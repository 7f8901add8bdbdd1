/**
 * Micro benchmark of the streaming engine, measured inside the engine (issue 3 target:
 * ≥ 1,000,000 rows/s through a GROUP BY count/sum over 10,000 keys):
 *
 *   source → HashAgg(count(*), sum(v) GROUP BY k) → Materialize(pk k) → barrier manager
 *
 * Input chunks are generated before timing; barriers are injected every `--barrier-rows`
 * rows, and the state store commits every epoch, so the time includes flushing dirty
 * groups, writing the intermediate-state and MV tables and publishing epochs.
 *
 *   node --import tsx bench/stream-agg.ts [--rows 5000000] [--keys 10000] [--chunk 1024]
 *        [--barrier-rows 100000] [--key-type int32|int64|varchar] [--runs 3]
 *        [--global] [--two-phase]
 *
 * `--global` drops the GROUP BY (count(*), sum(v) over all rows: a SimpleAgg);
 * `--two-phase` puts a StatelessLocalAgg in front and merges its partials in the global
 * agg, as the planner does for RW_ENABLE_TWO_PHASE_AGG / RW_FORCE_TWO_PHASE_AGG.
 */
import { parseArgs } from 'node:util';
import { ColumnBuilder, type DataType, Op, StreamChunk, T } from '@freshet/common';
import { resolveAggregate } from '@freshet/expr';
import {
  BarrierManager,
  type AggCallDesc,
  type Executor,
  HashAggExecutor,
  MaterializeExecutor,
  SimpleAggExecutor,
  StatelessLocalAggExecutor,
  MemStateStore,
  SourceExecutor,
  StateTableAllocator,
} from '@freshet/stream';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000000' },
    keys: { type: 'string', default: '10000' },
    chunk: { type: 'string', default: '1024' },
    'barrier-rows': { type: 'string', default: '100000' },
    'key-type': { type: 'string', default: 'int32' },
    runs: { type: 'string', default: '3' },
    global: { type: 'boolean', default: false },
    'two-phase': { type: 'boolean', default: false },
  },
});
const rows = Number(args.rows);
const keys = Number(args.keys);
const chunkSize = Number(args.chunk);
const barrierRows = Number(args['barrier-rows']);
const runs = Number(args.runs);
const keyType: DataType = args['key-type'] === 'int64' ? T.Int64 : args['key-type'] === 'varchar' ? T.Varchar : T.Int32;
const inputTypes = [keyType, T.Int32];

function makeChunks(): StreamChunk[] {
  let seed = 42;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const out: StreamChunk[] = [];
  for (let done = 0; done < rows; done += chunkSize) {
    const n = Math.min(chunkSize, rows - done);
    const k = new ColumnBuilder(keyType, n);
    const v = new ColumnBuilder(T.Int32, n);
    for (let i = 0; i < n; i++) {
      const key = Math.floor(rand() * keys);
      k.push(keyType === T.Int64 ? BigInt(key) : keyType === T.Varchar ? `user_${key}` : key);
      v.push(Math.floor(rand() * 1000));
    }
    out.push(new StreamChunk(new Uint8Array(n).fill(Op.Insert), [k.finish(), v.finish()]));
  }
  return out;
}

const count: AggCallDesc = { impl: resolveAggregate('count', []), args: [] };
const sum: AggCallDesc = { impl: resolveAggregate('sum', [T.Int32]), args: [1] };

/** count(*), sum(v) [GROUP BY k]: one agg, or local → global with the partials merged. */
function connectAgg(source: SourceExecutor, tables: StateTableAllocator): Executor {
  const groupKey = args.global ? [] : [0];
  let input: Executor = source;
  let calls = [count, sum];
  let rowCountColumn: number | undefined;
  if (args['two-phase']) {
    // Local output: [k?, row count, partial sum, partial non-NULL count]; count(*) merges the row count.
    input = source.connect(new StatelessLocalAggExecutor({ inputTypes, groupKey, calls: [sum] }));
    const nk = groupKey.length;
    rowCountColumn = nk;
    calls = [
      { ...count, args: [nk], merge: true },
      { ...sum, args: [nk + 1, nk + 2], merge: true },
    ];
  }
  const opts = { inputTypes: input.types, calls, tables, rowCountColumn };
  const key = groupKey.map((_, i) => i);
  return input.connect(args.global ? new SimpleAggExecutor(opts) : new HashAggExecutor({ ...opts, groupKey: key }));
}

function run(chunks: StreamChunk[]): { seconds: number; cpuSeconds: number; epochs: number; groups: number } {
  const store = new MemStateStore();
  const manager = new BarrierManager(store);
  const tables = new StateTableAllocator(store, 1);
  const source = new SourceExecutor(inputTypes);
  const agg = connectAgg(source, tables);
  const pk = args.global ? [] : [0];
  const mv = agg.connect(new MaterializeExecutor({ types: agg.types, pk, tables, collector: manager.registerCollector() }));
  manager.addSource(source);
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let sinceBarrier = 0;
  for (const c of chunks) {
    source.pushChunk(c);
    sinceBarrier += c.capacity;
    if (sinceBarrier >= barrierRows) {
      manager.injectBarrier();
      sinceBarrier = 0;
    }
  }
  manager.injectBarrier();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (manager.committedEpoch !== manager.currentEpoch) throw new Error('not every epoch committed');
  return { seconds, cpuSeconds, epochs: manager.committedEpoch, groups: mv.table.size };
}

const chunks = makeChunks();
const shape = `${args.global ? 'global' : `${keys.toLocaleString('en-US')} keys (${keyType.kind})`}${args['two-phase'] ? ', two-phase' : ''}`;
console.log(`stream-agg: ${rows.toLocaleString('en-US')} rows, ${shape}, chunk ${chunkSize}, barrier every ${barrierRows.toLocaleString('en-US')} rows`);
run(chunks.slice(0, Math.ceil(chunks.length / 5))); // warm-up
// Wall-clock rate is the figure; the rate per CPU-second (process CPU time, GC threads
// included) is printed too because it is far less sensitive to other load on a shared machine.
const results: number[] = [];
const cpuResults: number[] = [];
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
for (let r = 0; r < runs; r++) {
  const { seconds, cpuSeconds, epochs, groups } = run(chunks);
  results.push(rows / seconds);
  cpuResults.push(rows / cpuSeconds);
  console.log(`  run ${r + 1}: ${seconds.toFixed(3)} s, ${epochs} epochs, ${groups} groups → ${fmt(rows / seconds)} rows/s (${fmt(rows / cpuSeconds)} rows per CPU-second)`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`median: ${fmt(median(results))} rows/s, ${fmt(median(cpuResults))} rows per CPU-second (target ≥ 1,000,000 rows/s)`);
