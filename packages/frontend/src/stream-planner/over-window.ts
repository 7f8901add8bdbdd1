/**
 * The window computation of a streaming OverWindowExecutor: the batch engine's own
 * WindowExecutor (same functions, frames, ORDER BY and NULL ordering as a SELECT) run
 * synchronously over one partition's rows. The logical window node is lowered once, its
 * input replaced by a scan of the partition handed in at each call.
 */
import type { DataType, Row } from '@freshet/common';
import { type ExecRuntime, type Executor, SeqScanExecutor, drainSync } from '@freshet/batch';
import type { StorageEngine, TableReader } from '@freshet/storage';
import type { PlanNode } from '../planner/plan';
import { Lowering } from '../query/lower';

type Window = Extract<PlanNode, { kind: 'window' }>;

/** A TableReader over the partition being computed. */
class PartitionReader implements TableReader {
  readonly tableId = -1;
  rows: Row[] = [];
  constructor(readonly schema: TableReader['schema']) {}
  get size(): number {
    return this.rows.length;
  }
  get(): Row | undefined {
    return undefined;
  }
  scan(): Iterable<Row> {
    return this.rows;
  }
}

/** Lowers the window over a placeholder input that reads the current partition. */
class PartitionLowering extends Lowering {
  constructor(
    rt: ExecRuntime,
    private readonly placeholder: PlanNode,
    private readonly reader: PartitionReader,
  ) {
    // The window's lowering reads no table: its only input is the placeholder.
    super(rt, null as unknown as StorageEngine);
  }
  override lower(p: PlanNode): Executor {
    return p === this.placeholder ? new SeqScanExecutor(this.reader, null, this.rt) : super.lower(p);
  }
}

/** `rows` (full input rows of one partition) → each row with the window calls' values appended. */
export function windowCompute(window: Window, inputTypes: readonly DataType[], rt: ExecRuntime): (rows: Row[]) => Row[] {
  const placeholder: PlanNode = { kind: 'values', rows: [], schema: inputTypes.map((type, i) => ({ name: `$${i}`, type, table: null })) };
  const reader = new PartitionReader({ types: [...inputTypes], pk: [] });
  const exec = new PartitionLowering(rt, placeholder, reader).lower({ ...window, input: placeholder });
  return (rows) => {
    reader.rows = rows;
    try {
      return drainSync(exec);
    } finally {
      reader.rows = [];
    }
  };
}
