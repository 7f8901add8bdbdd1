/** Helpers shared by connector implementations' option validation. */
import { SqlError, SqlState } from '@freshet/common';
import type { SourceSpec } from './api';

/**
 * Rejects options under a connector's own prefix (`datagen.`, `nexmark.`) that it does not
 * know: a typo such as `nexmark.event.nums` would otherwise silently make a source unbounded.
 */
export function rejectUnknownOptions(spec: SourceSpec, prefix: string, known: ReadonlySet<string>): void {
  for (const key of Object.keys(spec.options)) {
    if (key.startsWith(prefix) && !known.has(key)) {
      throw new SqlError(SqlState.InvalidParameterValue, `unknown option ${key} for connector '${spec.connector}'`);
    }
  }
}
