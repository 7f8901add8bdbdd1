/**
 * The coercion rules overload resolution needs. cast.ts (values owner) is the authority;
 * until it lands this holds RisingWave's implicit-cast table so resolution works.
 */
import { listOf, typeEquals, type DataType } from '@freshet/common';

const IMPLICIT: Record<string, readonly string[]> = {
  int16: ['int32', 'int64', 'decimal', 'float32', 'float64'],
  int32: ['int64', 'decimal', 'float32', 'float64'],
  int64: ['decimal', 'float32', 'float64'],
  serial: ['int64', 'decimal', 'float32', 'float64'],
  decimal: ['float32', 'float64'],
  float32: ['float64'],
  date: ['timestamp', 'timestamptz'],
  timestamp: ['timestamptz'],
  time: ['interval'],
};

export function canCast(from: DataType, to: DataType, _context: 'implicit' | 'assign' | 'explicit'): boolean {
  if (typeEquals(from, to) || from.kind === 'unknown') return true;
  if (from.kind === 'list' && to.kind === 'list') return canCast(from.elem, to.elem, _context);
  return IMPLICIT[from.kind]?.includes(to.kind) ?? false;
}

export function commonSupertype(types: DataType[]): DataType | undefined {
  let acc: DataType | undefined;
  for (const t of types) {
    if (t.kind === 'unknown') continue;
    if (acc === undefined || canCast(acc, t, 'implicit')) acc = t;
    else if (!canCast(t, acc, 'implicit')) {
      if (acc.kind === 'list' && t.kind === 'list') {
        const e = commonSupertype([acc.elem, t.elem]);
        if (!e) return undefined;
        acc = listOf(e);
      } else return undefined;
    }
  }
  return acc;
}
