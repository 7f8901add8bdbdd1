/**
 * `connector = 'datagen'`: RisingWave's built-in load generator. Options:
 * `datagen.rows.per.second` (default 10, shared by the splits), `datagen.split.num`
 * (default 1) and the per-column `fields.<col>.*` generators (see fields.ts). Each second a
 * split may produce its share of the rate, released at the start of the second as
 * RisingWave does; a split ends when one of its sequence columns passes its `end`.
 */
import { type Row, SqlError, SqlState } from '@freshet/common';
import type { ReaderContext, SourceColumn, SourceConnector, SourceReader, SourceSpec, SplitOffsets } from '../api';
import { OptionReader } from '../options';
import { rejectUnknownOptions } from '../registry-util';
import { FIELD_OPTIONS, type FieldGenerator, type SequenceAware, buildField } from './fields';

export const DEFAULT_ROWS_PER_SECOND = 10;
const DATAGEN_OPTIONS: ReadonlySet<string> = new Set(['datagen.rows.per.second', 'datagen.split.num']);

interface Props {
  rowsPerSecond: number;
  splitNum: number;
}

function parseProps(spec: SourceSpec): Props {
  const r = new OptionReader(spec.options, 'datagen');
  const splitNum = r.nonNegativeInt('datagen.split.num') ?? 1;
  if (splitNum < 1) throw new SqlError(SqlState.InvalidParameterValue, 'datagen.split.num must be at least 1');
  return { rowsPerSecond: r.nonNegativeInt('datagen.rows.per.second') ?? DEFAULT_ROWS_PER_SECOND, splitNum };
}

/** `fields.<col>[.<sub>…].<option>` must name a column and a known option. */
function checkFieldOptions(spec: SourceSpec): void {
  const names = new Set(spec.columns.map((c) => c.name));
  for (const key of Object.keys(spec.options)) {
    if (!key.startsWith('fields.')) continue;
    const parts = key.split('.');
    const option = parts[parts.length - 1];
    if (parts.length < 3 || !FIELD_OPTIONS.has(option)) {
      throw new SqlError(SqlState.InvalidParameterValue, `unknown datagen option ${key}`, { hint: `Field options are ${[...FIELD_OPTIONS].join(', ')}.` });
    }
    if (!names.has(parts[1])) throw new SqlError(SqlState.InvalidParameterValue, `datagen option ${key} names no column of the source`);
  }
}

interface Split {
  readonly id: string;
  readonly index: number;
  readonly fields: (FieldGenerator & SequenceAware)[];
  /** Rows this split may produce per second. */
  readonly rate: number;
  /** Next row offset. */
  offset: number;
  /** Offset and time when pacing (re)started. */
  startOffset: number;
  startTime: number;
  done: boolean;
}

class DatagenReader implements SourceReader {
  private readonly splits: Split[] = [];
  private next = 0;

  constructor(
    spec: SourceSpec,
    props: Props,
    private readonly ctx: ReaderContext,
  ) {
    const startTime = ctx.now();
    const { rowsPerSecond: rps, splitNum } = props;
    for (let i = 0; i < splitNum; i++) {
      const fctx = { options: spec.options, splitIndex: i, splitNum, startTime, now: () => ctx.now() };
      this.splits.push({
        id: `${splitNum}-${i}`,
        index: i,
        fields: spec.columns.map((c) => buildField(c.name, c.type, fctx)),
        rate: Math.floor(rps / splitNum) + (rps % splitNum > i ? 1 : 0),
        offset: 0,
        startOffset: 0,
        startTime,
        done: false,
      });
    }
  }

  get exhausted(): boolean {
    return this.splits.every((s) => s.done);
  }

  pull(max: number): Row[] {
    const out: Row[] = [];
    const now = this.ctx.now();
    const n = this.splits.length;
    let idle = 0;
    while (out.length < max && idle < n) {
      const s = this.splits[this.next];
      this.next = (this.next + 1) % n;
      if (s.done || !this.due(s, now)) {
        idle++;
        continue;
      }
      idle = 0;
      const row = this.generate(s);
      if (row) out.push(row);
    }
    return out;
  }

  /** One second's share is released at the start of each second since the split started. */
  private due(s: Split, now: number): boolean {
    if (this.ctx.unthrottled) return true;
    const seconds = Math.floor((now - s.startTime) / 1000) + 1;
    return s.offset - s.startOffset < seconds * s.rate;
  }

  private generate(s: Split): Row | null {
    const row: Row = new Array(s.fields.length);
    for (let i = 0; i < s.fields.length; i++) {
      const f = s.fields[i];
      const v = f.generate(s.offset);
      if (v === null && f.isSequence) {
        s.done = true;
        return null;
      }
      row[i] = v;
    }
    s.offset++;
    return row;
  }

  offsets(): SplitOffsets {
    const out: SplitOffsets = {};
    for (const s of this.splits) out[s.id] = String(s.offset);
    return out;
  }

  seek(offsets: SplitOffsets): void {
    const now = this.ctx.now();
    for (const s of this.splits) {
      const o = offsets[s.id];
      if (o === undefined) continue;
      s.offset = Number(o);
      s.startOffset = s.offset;
      s.startTime = now;
      s.done = false;
    }
  }

  close(): void {}
}

export const datagenConnector: SourceConnector = {
  name: 'datagen',
  validate(spec: SourceSpec): SourceColumn[] {
    rejectUnknownOptions(spec, 'datagen.', DATAGEN_OPTIONS);
    if (spec.columns.length === 0) throw new SqlError(SqlState.SyntaxError, 'a datagen source needs a column list');
    checkFieldOptions(spec);
    const props = parseProps(spec);
    // Building the generators checks every field option (types, ranges, durations).
    new DatagenReader(spec, props, { now: () => 0 });
    return [...spec.columns];
  },
  open(spec: SourceSpec, ctx: ReaderContext): SourceReader {
    return new DatagenReader(spec, parseProps(spec), ctx);
  },
  bounded(spec: SourceSpec): boolean {
    // Ends when some top-level number column is a sequence (its default end is 32767).
    return spec.columns.some((c) => (spec.options[`fields.${c.name}.kind`] ?? '').toLowerCase() === 'sequence');
  },
};
