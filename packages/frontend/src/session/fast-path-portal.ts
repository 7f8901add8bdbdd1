/**
 * The portal for a statement the query engine compiled to a point lookup
 * (../query/fast-path.ts): one probe per execution, no executor tree. Used for Bind of a
 * prepared point lookup and for simple queries answered from the plan cache.
 */
import type { Datum, Row } from '@freshet/common';
import type { EvalContext } from '@freshet/expr';
import type { FieldInfo, Portal, PortalResult } from '@freshet/pgwire';
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

  /** Runs synchronously (pgwire accepts a plain result): at most one row, always done. */
  execute(_maxRows: number): PortalResult {
    if (this.done) return { rows: NO_ROWS, done: true, tag: 'SELECT 0' };
    this.done = true;
    this.session.beginStatement(this.text);
    const ctx: EvalContext | null = this.lookup.needsEvalContext ? { timeZone: this.session.timeZone(), now: Date.now() * 1000 } : null;
    const row = this.lookup.run(this.session.frontend.storage, this.params, ctx);
    return row === null ? { rows: NO_ROWS, done: true, tag: 'SELECT 0' } : { rows: [row], done: true, tag: 'SELECT 1' };
  }

  close(): void {}
}
