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
 */
import { parseArgs } from 'node:util';
import { ColumnBuilder, type DataType, Op, StreamChunk, T } from '@freshet/common';
import { resolveAggregate } from '@freshet/expr';
import {
  BarrierManager,
  HashAggExecutor,
  MaterializeExecutor,
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

function run(chunks: StreamChunk[]): { seconds: number; cpuSeconds: number; epochs: number; groups: number } {
  const store = new MemStateStore();
  const manager = new BarrierManager(store);
  const tables = new StateTableAllocator(store, 1);
  const source = new SourceExecutor(inputTypes);
  const agg = source.connect(
    new HashAggExecutor({
      inputTypes,
      groupKey: [0],
      calls: [
        { impl: resolveAggregate('count', []), args: [] },
        { impl: resolveAggregate('sum', [T.Int32]), args: [1] },
      ],
      tables,
    }),
  );
  const mv = agg.connect(new MaterializeExecutor({ types: agg.types, pk: [0], tables, collector: manager.registerCollector() }));
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
console.log(`stream-agg: ${rows.toLocaleString('en-US')} rows, ${keys.toLocaleString('en-US')} keys (${keyType.kind}), chunk ${chunkSize}, barrier every ${barrierRows.toLocaleString('en-US')} rows`);
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
