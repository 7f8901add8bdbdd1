/**
 * The portal for a statement the query engine compiled to a point lookup
 * (../query/fast-path.ts): one probe per execution, no executor tree. Used for Bind of a
 * prepared point lookup and for simple queries answered from the plan cache.
 */
import type { Datum, Row } from '@freshet/common';
import type { EvalContext } from '@freshet/expr';
import type { FieldInfo, Portal } from '@freshet/pgwire';
import type { PointLookup } from '../query/fast-path';
import type { FrontendSession } from './session';

const NO_ROWS: Row[] = [];

export class FastPathPortal implements Portal {
  private done = false;

  constructor(
    private readonly session: FrontendSession,
    private readonly lookup: PointLookup,
    private readonly fieldList: FieldInfo[],
    private readonly params: readonly Datum[],
    private readonly text: string,
  ) {}

  fields(): FieldInfo[] {
    return this.fieldList;
  }

  /** Runs synchronously; the promise only satisfies the Portal contract. */
  execute(_maxRows: number): Promise<{ rows: Row[]; done: boolean; tag: string }> {
    if (this.done) return Promise.resolve({ rows: NO_ROWS, done: true, tag: 'SELECT 0' });
    this.done = true;
    this.session.beginStatement(this.text);
    const ctx: EvalContext | null = this.lookup.needsEvalContext ? { timeZone: this.session.timeZone(), now: Date.now() * 1000 } : null;
    try {
      const row = this.lookup.run(this.session.frontend.storage, this.params, ctx);
      return Promise.resolve(row === null ? { rows: NO_ROWS, done: true, tag: 'SELECT 0' } : { rows: [row], done: true, tag: 'SELECT 1' });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  close(): void {}
}
