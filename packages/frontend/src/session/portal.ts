/**
 * Portal implementations the session hands to pgwire. Every statement becomes a
 * Portal so simple and extended protocol share one execution path.
 */
import type { Row } from '@freshet/common';
import type { FieldInfo, Portal } from '@freshet/pgwire';

/** A portal over rows that are already computed (SHOW, DESCRIBE, command results). */
export class RowsPortal implements Portal {
  private offset = 0;
  constructor(
    private readonly fieldList: FieldInfo[] | null,
    private readonly rows: Row[],
    private readonly commandTag: string,
  ) {}

  fields(): FieldInfo[] | null {
    return this.fieldList;
  }

  async execute(maxRows: number): Promise<{ rows: Row[]; done: boolean; tag: string }> {
    const end = maxRows > 0 ? Math.min(this.rows.length, this.offset + maxRows) : this.rows.length;
    const rows = this.rows.slice(this.offset, end);
    this.offset = end;
    const done = this.offset >= this.rows.length;
    return { rows, done, tag: done ? this.commandTag : '' };
  }

  close(): void {}
}

/**
 * A portal whose work runs on first execute (DDL, SET, FLUSH…). The action returns the
 * command tag, and optionally rows (e.g. `SHOW x` computed at execution time).
 */
export class CommandPortal implements Portal {
  private result: RowsPortal | null = null;
  constructor(
    private readonly fieldList: FieldInfo[] | null,
    private readonly action: () => Promise<{ tag: string; rows?: Row[] }> | { tag: string; rows?: Row[] },
  ) {}

  fields(): FieldInfo[] | null {
    return this.fieldList;
  }

  async execute(maxRows: number): Promise<{ rows: Row[]; done: boolean; tag: string }> {
    if (!this.result) {
      const r = await this.action();
      this.result = new RowsPortal(this.fieldList, r.rows ?? [], r.tag);
    }
    return this.result.execute(maxRows);
  }

  close(): void {}
}
