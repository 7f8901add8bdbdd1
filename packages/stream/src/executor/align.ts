/**
 * Barrier alignment for executors with several inputs (join, union). Once an input has
 * delivered barrier N, its later messages belong to epoch N+1 and are queued until every
 * input has delivered N; then the executor ends epoch N exactly once and the queues are
 * replayed (they may hold the next barrier, which blocks that input again). With the
 * synchronous injection of the barrier manager the queues are normally empty; they exist
 * so that sources which deliver asynchronously stay correct.
 */
import { StreamChunk } from '@freshet/common';
import { Barrier, type Message, type Watermark } from '../message';
import type { Output } from './executor';

export interface AlignedHandler {
  onInputChunk(input: number, chunk: StreamChunk): void;
  onInputWatermark(input: number, w: Watermark): void;
  onAlignedBarrier(b: Barrier): void;
}

export class BarrierAligner {
  readonly inputs: Output[];
  private readonly blocked: (Barrier | null)[];
  private queues: Message[][];
  private waiting = 0;

  constructor(
    n: number,
    private readonly handler: AlignedHandler,
  ) {
    this.blocked = new Array(n).fill(null);
    this.queues = Array.from({ length: n }, () => []);
    this.inputs = Array.from({ length: n }, (_, i) => ({ push: (m: Message) => this.receive(i, m) }));
  }

  receive(input: number, msg: Message): void {
    if (this.blocked[input] !== null) {
      this.queues[input].push(msg);
      return;
    }
    if (msg instanceof StreamChunk) this.handler.onInputChunk(input, msg);
    else if (msg instanceof Barrier) this.onBarrier(input, msg);
    else this.handler.onInputWatermark(input, msg);
  }

  private onBarrier(input: number, b: Barrier): void {
    for (const other of this.blocked) {
      if (other !== null && other.epoch !== b.epoch) throw new Error(`barrier misalignment: epoch ${b.epoch} on one input, ${other.epoch} on another`);
    }
    this.blocked[input] = b;
    if (++this.waiting < this.blocked.length) return;
    this.blocked.fill(null);
    this.waiting = 0;
    this.handler.onAlignedBarrier(b);
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queues[i];
      if (q.length === 0) continue;
      this.queues[i] = [];
      for (const m of q) this.receive(i, m);
    }
  }
}
