/**
 * min/max over any ordered type. The extreme is cached; retraction keeps a counted
 * multiset of every value so that removing the current extreme can find the next one
 * (by a rescan, only when the extreme's last copy goes). Append-only states (batch)
 * skip the multiset.
 */
import { compareDatum, type DataType, type Datum } from '@freshet/common';
import type { AggState } from '../types';
import { agg, type AggDef } from './def';
import { Multiset } from './multiset';

class ExtremeState implements AggState {
  private best: Datum = null;
  private dirty = false;
  private readonly values: Multiset | undefined;
  constructor(
    private readonly type: DataType,
    private readonly sign: 1 | -1,
    appendOnly: boolean,
  ) {
    this.values = appendOnly ? undefined : new Multiset(type);
  }
  private better(a: Datum, b: Datum): boolean {
    return this.sign * compareDatum(this.type, a, b) > 0;
  }
  add(args: Datum[]): void {
    const v = args[0];
    if (v === null) return;
    this.values?.add(v);
    if (!this.dirty && (this.best === null || this.better(v, this.best))) this.best = v;
  }
  retract(args: Datum[]): void {
    const v = args[0];
    if (v === null) return;
    if (!this.values) throw new Error('retract on an append-only aggregate state');
    if (this.values.remove(v) && this.best !== null && compareDatum(this.type, v, this.best) === 0) this.dirty = true;
  }
  result(): Datum {
    if (this.dirty) {
      this.best = null;
      for (const e of this.values!.entries.values()) {
        if (this.best === null || this.better(e.value, this.best)) this.best = e.value;
      }
      this.dirty = false;
    }
    return this.best;
  }
}

export const minMaxAggregates: AggDef[] = [
  agg('min', ['anyelement'], (t) => t[0], (t, _r, appendOnly) => () => new ExtremeState(t[0], -1, appendOnly)),
  agg('max', ['anyelement'], (t) => t[0], (t, _r, appendOnly) => () => new ExtremeState(t[0], 1, appendOnly)),
];
