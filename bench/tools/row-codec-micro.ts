/**
 * Micro-benchmark of what a checkpoint pays per row to encode state (docs/performance.md,
 * "Session 24"): the value codec's varints, `writeRow` over the seed pipeline's row shapes
 * (one warmed encoder sees them all, as in the server), and a segment part's rows
 * (`encodeParts`, the overlay and segment format). Best of several rounds, ns per item.
 *
 *   node --import tsx bench/tools/row-codec-micro.ts [--rows N]
 *
 * Hot figures: in a checkpoint the rows are read cold from a large heap, about 3× slower.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ByteWriter, Decimal, type Row, writeRow } from '../../packages/common/src';
import { BatchRecord } from '../../packages/storage/src/batch-record';
import { PartLog } from '../../packages/storage/src/part-log';
import { encodeParts } from '../../packages/storage/src/state-store/segments';

const { values } = parseArgs({ options: { rows: { type: 'string' } } });
const N = Number(values.rows ?? 200_000);
const ROUNDS = 9;

/** Best time of `ROUNDS` runs of `f`, in ns per item. */
async function best(f: () => unknown): Promise<number> {
  let ms = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await f();
    ms = Math.min(ms, performance.now() - t0);
  }
  return (ms * 1e6) / N;
}

const line = (what: string, ns: number) => console.log(`${what.padEnd(58)} ${ns.toFixed(1).padStart(7)} ns`);

async function main(): Promise<void> {
  const w = new ByteWriter(1 << 26);
  // A µs timestamp zigzagged (as a TIMESTAMPTZ datum's varint), and a small integer.
  const timestamps = Array.from({ length: N }, (_, i) => 2 * 1_795_494_108_000_000 + i * 1013);
  const smalls = Array.from({ length: N }, (_, i) => (i * 7919) % 20_000);
  for (const [what, xs] of [['uvarint, µs timestamp (51 bits)', timestamps], ['uvarint, small integer', smalls]] as const) {
    line(
      what,
      await best(() => {
        w.reset();
        for (let i = 0; i < N; i++) w.uvarint(xs[i]);
      }),
    );
  }

  // The seed pipeline's shapes: an aggregate group's state row (a MIN/MAX extreme kept as a
  // memcomparable key string), ml_feature_vector's row (a DECIMAL), and the parts alone.
  const extreme = '\u0001<æ|\b\u0017}¥ÿ';
  const shapes: [string, (i: number) => Row][] = [
    ['writeRow, aggregate state row (11 datums)', (i) => [BigInt(i), 44, 18, 19, 9, extreme, 1795494108000000 + i, 18n, 19n, 9n, 1795494108000000 + i]],
    ['writeRow, ml_feature_vector row (a DECIMAL)', (i) => [BigInt(i), 18n, 19n, 9n, 5n, new Decimal(BigInt(41_670 + i), 2), 1795494108000000 + i]],
    ['writeRow, one DECIMAL', (i) => [new Decimal(BigInt(41_670 + i), 2)]],
    ['writeRow, one string past ASCII (a MIN/MAX extreme)', () => [extreme]],
    ['writeRow, two BIGINTs', (i) => [BigInt(i), BigInt(i * 7)]],
  ];
  const rowsOf = shapes.map(([, make]) => Array.from({ length: N }, (_, i) => make(i)));
  // Warm the encoder on every shape first: in the server one writeRow sees them all.
  for (const rows of rowsOf) for (let i = 0; i < N; i++) writeRow(w.reset(), rows[i]);
  for (let s = 0; s < shapes.length; s++) {
    const rows = rowsOf[s];
    line(
      shapes[s][0],
      await best(() => {
        w.reset();
        for (let i = 0; i < N; i++) writeRow(w, rows[i]);
      }),
    );
  }

  // A MAX multiset's rows: (user, timestamp) keys with a count, into segment parts.
  const partLog = new PartLog(mkdtempSync(join(tmpdir(), 'row-codec-parts-')));
  partLog.open();
  const keys: string[] = [];
  const counts: Row[] = [];
  for (let i = 0; i < N; i++) {
    keys.push(Buffer.from([0x0f, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0, 0, 0x0f, 0xc2, 0x12, 0x34, (i * 7) & 0xff, 0x9a, 0, 0, 0, 0, 1]).toString('latin1'));
    counts.push([1 + (i % 3)]);
  }
  line(
    'encodeParts, a multiset row (17-byte key, a count)',
    await best(async () => {
      const rec = BatchRecord.pooled(1 << 24);
      // The parts are copied into the batch's chunks, never written: the batch is abandoned.
      const batch = partLog.begin(rec);
      await encodeParts(rec, batch, (p) => Buffer.from(`h/1/${p}`), keys, counts, null, () => null);
      batch.abandon();
      rec.recycle();
    }),
  );
}

void main();
