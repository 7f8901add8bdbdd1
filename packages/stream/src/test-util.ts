/** Helpers for executor tests: feed fixtures through an executor and collect its output. */
import { type Op, type Row, StreamChunk, streamChunkFromPretty } from '@freshet/common';
import { resolveAggregate } from '@freshet/expr';
import type { AggCallDesc } from './agg/call';
import { Barrier, type Message, Watermark } from './message';
import type { Output } from './executor/executor';

export class Collector implements Output {
  readonly messages: Message[] = [];
  push(msg: Message): void {
    this.messages.push(msg);
  }
  /** Visible records of every chunk received so far, then forgets them. */
  take(): [Op, Row][] {
    const out: [Op, Row][] = [];
    for (const m of this.messages) if (m instanceof StreamChunk) out.push(...m.records());
    this.messages.length = 0;
    return out;
  }
  barriers(): number[] {
    return this.messages.filter((m): m is Barrier => m instanceof Barrier).map((b) => b.epoch);
  }
  watermarks(): Watermark[] {
    return this.messages.filter((m): m is Watermark => m instanceof Watermark);
  }
}

/** The records of a pretty fixture (what `Collector.take()` should return). */
export function expected(text: string): [Op, Row][] {
  return streamChunkFromPretty(text).records();
}

export const chunk = streamChunkFromPretty;

/** A call description by name over input columns (types taken from `inputTypes`). */
export function aggCall(
  name: string,
  args: number[],
  inputTypes: readonly import('@freshet/common').DataType[],
  extra: Omit<AggCallDesc, 'impl' | 'args'> = {},
): AggCallDesc {
  return { impl: resolveAggregate(name, args.map((a) => inputTypes[a]), { distinct: extra.distinct }), args, ...extra };
}

/** Multiset of rows as sorted strings (bag comparison). */
export function bag(rows: readonly Row[]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v && typeof v === 'object' && 'toString' in v && !Array.isArray(v) ? String(v) : v))).sort();
}

export function barrier(epoch: number): Barrier {
  return new Barrier(epoch);
}

/** A seeded uniform generator in [0, 1) (a 32-bit LCG): the same cases on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
