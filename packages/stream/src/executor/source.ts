/**
 * The entry point of a stream graph: DML, connectors and tests push chunks into it, and
 * the barrier manager injects barriers. Both go downstream synchronously, so a barrier
 * injected after a chunk is always behind that chunk.
 *
 * `ValuesExecutor` is the test/literal form: it emits fixed rows as inserts on the first
 * barrier (RisingWave's StreamValues, used by `CREATE MATERIALIZED VIEW … AS VALUES`).
 */
import { type DataType, type Datum, Op, type StreamChunk, StreamChunkBuilder } from '@freshet/common';
import { Barrier, type Message, Watermark } from '../message';
import { Executor } from './executor';

/** Something the barrier manager can inject barriers into. */
export interface BarrierInjectable {
  injectBarrier(b: Barrier): void;
}

export class SourceExecutor extends Executor implements BarrierInjectable {
  readonly name = 'StreamSource';
  private paused = false;
  /** Chunks pushed while paused, replayed on resume. */
  private held: StreamChunk[] = [];

  constructor(readonly types: readonly DataType[]) {
    super();
  }

  /** Pushes one chunk of changes (DML, a connector batch, a test fixture). */
  pushChunk(chunk: StreamChunk): void {
    if (this.stopped) return;
    if (this.paused) this.held.push(chunk);
    else this.emit(chunk);
  }

  pushWatermark(column: number, value: Datum): void {
    if (!this.stopped) this.out.push(new Watermark(column, this.types[column], value));
  }

  injectBarrier(b: Barrier): void {
    if (this.stopped) return;
    this.passBarrier(b);
    if (b.mutation?.kind === 'pause') this.paused = true;
    else if (b.mutation?.kind === 'resume') {
      this.paused = false;
      const held = this.held;
      this.held = [];
      for (const c of held) this.emit(c);
    }
  }

  /** Generic entry for tests: chunks are pushed, barriers injected, watermarks forwarded. */
  push(msg: Message): void {
    if (msg instanceof Barrier) this.injectBarrier(msg);
    else if (msg instanceof Watermark) {
      if (!this.stopped) this.out.push(msg);
    } else this.pushChunk(msg);
  }
}

export class ValuesExecutor extends Executor implements BarrierInjectable {
  readonly name = 'StreamValues';
  private done = false;

  constructor(
    readonly types: readonly DataType[],
    private readonly rows: readonly (readonly Datum[])[],
  ) {
    super();
  }

  /** Recovery: the rows are already in the restored state, so the first barrier emits none. */
  markEmitted(): void {
    this.done = true;
  }

  injectBarrier(b: Barrier): void {
    if (this.stopped) return;
    if (!this.done) {
      this.done = true;
      const builder = new StreamChunkBuilder(this.types);
      for (const r of this.rows) this.emit(builder.append(Op.Insert, r));
      this.emit(builder.take());
    }
    this.passBarrier(b);
  }
}
