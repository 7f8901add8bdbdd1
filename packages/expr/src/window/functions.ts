/**
 * Window functions over one sorted partition: ranking (row_number, rank, dense_rank,
 * percent_rank, cume_dist, ntile), offsets (lag, lead) and frame values (first_value,
 * last_value, nth_value). Aggregates used as window functions are in aggregate-window.ts.
 */
import { SqlError, SqlState, T, type DataType, type Datum } from '@freshet/common';
import type { ArgSpec, Signature } from '../overload';
import type { WindowPartition } from './types';

export type PartitionEval = (p: WindowPartition) => Datum[];

export interface WindowDef extends Signature {
  readonly name: string;
  readonly ret: (argTypes: DataType[]) => DataType;
  readonly usesFrame: boolean;
  readonly eval: PartitionEval;
}

function def(name: string, args: ArgSpec[], ret: WindowDef['ret'], usesFrame: boolean, evalFn: PartitionEval): WindowDef {
  return { name, args, ret, usesFrame, eval: evalFn };
}

const int64 = () => T.Int64;
const float64 = () => T.Float64;
const first = (t: DataType[]) => t[0];

function perRow(p: WindowPartition, f: (i: number) => Datum): Datum[] {
  const out: Datum[] = new Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = f(i);
  return out;
}

function denseRanks(p: WindowPartition): Datum[] {
  const out: Datum[] = new Array(p.length);
  let rank = 0;
  for (let i = 0; i < p.length; i++) {
    if (p.peerStart(i) === i) rank++;
    out[i] = BigInt(rank);
  }
  return out;
}

function ntile(p: WindowPartition): Datum[] {
  const n = p.length;
  return perRow(p, (i) => {
    const b = p.args(i)[0];
    if (b === null) return null;
    const buckets = b as number;
    if (buckets <= 0) throw new SqlError(SqlState.InvalidParameterValue, 'argument of ntile must be greater than zero');
    // PostgreSQL: the first (n % buckets) buckets get one extra row.
    const size = Math.floor(n / buckets);
    const extra = n % buckets;
    const bigRows = extra * (size + 1);
    return i < bigRows ? Math.floor(i / (size + 1)) + 1 : size === 0 ? i + 1 : extra + Math.floor((i - bigRows) / size) + 1;
  });
}

function shift(direction: -1 | 1): PartitionEval {
  return (p) =>
    perRow(p, (i) => {
      const a = p.args(i);
      const offset = a.length > 1 ? a[1] : 1;
      if (offset === null) return null;
      const j = i + direction * (offset as number);
      if (j >= 0 && j < p.length) return p.args(j)[0];
      return a.length > 2 ? a[2] : null;
    });
}

function frameValue(pick: (p: WindowPartition, i: number) => number): PartitionEval {
  return (p) =>
    perRow(p, (i) => {
      const j = pick(p, i);
      return j >= p.frameStart(i) && j < p.frameEnd(i) ? p.args(j)[0] : null;
    });
}

export const windowDefs: WindowDef[] = [
  def('row_number', [], int64, false, (p) => perRow(p, (i) => BigInt(i + 1))),
  def('rank', [], int64, false, (p) => perRow(p, (i) => BigInt(p.peerStart(i) + 1))),
  def('dense_rank', [], int64, false, denseRanks),
  def('percent_rank', [], float64, false, (p) => perRow(p, (i) => (p.length <= 1 ? 0 : p.peerStart(i) / (p.length - 1)))),
  def('cume_dist', [], float64, false, (p) => perRow(p, (i) => p.peerEnd(i) / p.length)),
  def('ntile', [T.Int32], () => T.Int32, false, ntile),
  ...(['lag', 'lead'] as const).flatMap((name) => {
    const f = shift(name === 'lag' ? -1 : 1);
    return [
      def(name, ['anyelement'], first, false, f),
      def(name, ['anyelement', T.Int32], first, false, f),
      def(name, ['anyelement', T.Int32, 'anyelement'], first, false, f),
    ];
  }),
  def('first_value', ['anyelement'], first, true, frameValue((p, i) => p.frameStart(i))),
  def('last_value', ['anyelement'], first, true, frameValue((p, i) => p.frameEnd(i) - 1)),
  def('nth_value', ['anyelement', T.Int32], first, true, (p) =>
    perRow(p, (i) => {
      const n = p.args(i)[1];
      if (n === null) return null;
      if ((n as number) <= 0) throw new SqlError(SqlState.InvalidParameterValue, 'argument of nth_value must be greater than zero');
      const j = p.frameStart(i) + (n as number) - 1;
      return j < p.frameEnd(i) ? p.args(j)[0] : null;
    })),
];
