/**
 * What reads of a materialized view see between a restart and the end of the rebuild of
 * its job, when that rebuild waits for state or table rows still loading in the background
 * (commands.ts `restoreMaterializedViews`), or backfills in slices from an MV partly on disk
 * (StreamingEngine.rebuildJob): a clear, retryable error rather than "storage: table N does
 * not exist" or a partial result. The real reader is attached in its place once the job
 * can serve.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { TableReader, TableSchema } from '@freshet/storage';
import type { RelationCatalog } from '../catalog/model';

export class RebuildPendingReader implements TableReader {
  readonly tableId: number;
  readonly schema: TableSchema;

  /** `until`: when the rebuild happens (the end of the message). */
  constructor(
    private readonly rel: RelationCatalog,
    private readonly until = 'it is rebuilt once the state and table rows restored from the checkpoint are loaded',
  ) {
    this.tableId = rel.id;
    this.schema = { types: rel.columns.map((c) => c.type), pk: [...rel.pk] };
  }

  private pending(): never {
    throw new SqlError(
      SqlState.ObjectNotInPrerequisiteState,
      `materialized view ${this.rel.name} is being rebuilt after the restart: ${this.until}`,
      { hint: 'Try again in a moment.' },
    );
  }

  get size(): number {
    return this.pending();
  }

  get(): never {
    return this.pending();
  }

  scan(): never {
    return this.pending();
  }
}
