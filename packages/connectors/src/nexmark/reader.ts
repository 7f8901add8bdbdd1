/**
 * Reads a nexmark source: one EventGenerator per split (`nexmark.split.num`), pulled in
 * turn so their events interleave. Pacing follows RisingWave: a split may be at most
 * `elapsed / min_event_gap` events (counted over all types) ahead of where it started, so
 * the whole source produces one event per gap (default 100 µs: 10,000 events/s); with
 * `nexmark.use.real.time` events are released when their own timestamps come due. The
 * source ends when every split has reached `nexmark.event.num` (counted over all types).
 */
import { type Datum, type Row, StructValue } from '@freshet/common';
import type { ReaderContext, SourceReader, SplitOffsets } from '../api';
import type { NexmarkEventType, NexmarkProperties } from './config';
import { ALL_FIELDS, EventGenerator, type FieldMask, GeneratorConfig } from './generator';
import { nexmarkColumns } from './schema';

/** The combined layout's struct column of each event type, and its `event_type` code. */
const COMBINED_SLOT: Record<NexmarkEventType, number> = { person: 1, auction: 2, bid: 3 };
const TYPE_CODE: Record<NexmarkEventType, bigint> = { person: 0n, auction: 1n, bid: 2n };

interface Split {
  readonly id: string;
  gen: EventGenerator;
  /** Global offset and wall clock / event time when pacing (re)started. */
  startGlobal: number;
  startTime: number;
  startEventTime: number;
}

export class NexmarkReader implements SourceReader {
  private readonly config: GeneratorConfig;
  private readonly splits: Split[] = [];
  private next = 0;
  /** Layout fields (columns of the type's layout) some output column needs. */
  private readonly mask: FieldMask;
  private readonly width: number;
  /** A full layout row, when `pick` reorders or drops fields. */
  private readonly scratch: Datum[];

  /**
   * @param pick output column i is event field `pick[i]` (null: the fields in order)
   */
  constructor(
    private readonly props: NexmarkProperties,
    private readonly pick: readonly number[] | null,
    private readonly ctx: ReaderContext,
  ) {
    this.config = new GeneratorConfig(props.config);
    const layoutWidth = nexmarkColumns(props.tableType).length;
    this.width = pick ? pick.length : layoutWidth;
    this.scratch = new Array<Datum>(layoutWidth).fill(null);
    // Output columns the job does not read (ctx.columns) stay NULL: their fields are never made.
    let mask = 0;
    for (let j = 0; j < this.width; j++) if (!ctx.columns || ctx.columns[j]) mask |= 1 << (pick ? pick[j] : j);
    this.mask = mask;
    for (let i = 0; i < props.splitNum; i++) {
      const gen = new EventGenerator(this.config, i, props.splitNum, props.tableType);
      this.splits.push({ id: `${props.splitNum}-${i}`, gen, startGlobal: 0, startTime: 0, startEventTime: 0 });
      this.restartPacing(this.splits[i]);
    }
  }

  get exhausted(): boolean {
    for (const s of this.splits) if (s.gen.globalOffset() < this.props.eventNum) return false;
    return true;
  }

  pull(max: number): Row[] {
    const out: Row[] = [];
    const limit = Math.min(max, this.props.maxChunkSize);
    const now = this.ctx.now();
    const n = this.splits.length;
    // Round-robin one event per split, so splits progress evenly within a chunk.
    let idle = 0;
    while (out.length < limit && idle < n) {
      const s = this.splits[this.next];
      this.next = (this.next + 1) % n;
      if (!this.ready(s, now)) {
        idle++;
        continue;
      }
      idle = 0;
      out.push(this.props.tableType ? this.typedRow(s.gen) : this.combinedRow(s.gen));
    }
    return out;
  }

  private typedRow(gen: EventGenerator): Row {
    const pick = this.pick;
    if (pick === null) {
      const row = new Array<Datum>(this.width);
      gen.nextRow(row, this.mask);
      return row;
    }
    gen.nextRow(this.scratch, this.mask);
    return this.picked(this.scratch);
  }

  /** `event_type` and the event as a struct in its type's column; an unread struct is not generated. */
  private combinedRow(gen: EventGenerator): Row {
    const type = gen.type();
    const slot = COMBINED_SLOT[type];
    const row: Row = [this.mask & 1 ? TYPE_CODE[type] : null, null, null, null];
    if (this.mask & (1 << slot)) {
      const fields: Datum[] = [];
      gen.nextRow(fields, ALL_FIELDS);
      row[slot] = new StructValue(fields);
    } else gen.skip();
    return this.pick ? this.picked(row) : row;
  }

  private picked(full: readonly Datum[]): Row {
    const pick = this.pick!;
    const row = new Array<Datum>(pick.length);
    for (let j = 0; j < pick.length; j++) row[j] = full[pick[j]];
    return row;
  }

  /** May split `s` produce its next event at `now` (ms)? */
  private ready(s: Split, now: number): boolean {
    const global = s.gen.globalOffset();
    if (global >= this.props.eventNum) return false;
    if (this.ctx.unthrottled) return true;
    if (this.props.useRealTime) return s.gen.timestamp() - s.startEventTime <= now - s.startTime;
    const gap = this.props.minEventGapInNs;
    if (gap <= 0) return true;
    return (global - s.startGlobal) * gap <= (now - s.startTime) * 1e6;
  }

  private restartPacing(s: Split): void {
    s.startGlobal = s.gen.globalOffset();
    s.startTime = this.ctx.now();
    s.startEventTime = s.gen.timestamp();
  }

  offsets(): SplitOffsets {
    const out: SplitOffsets = {};
    for (const s of this.splits) out[s.id] = String(s.gen.offset);
    return out;
  }

  seek(offsets: SplitOffsets): void {
    for (const s of this.splits) {
      const o = offsets[s.id];
      if (o === undefined) continue;
      s.gen.offset = Number(o);
      this.restartPacing(s);
    }
  }

  close(): void {}
}
