/**
 * Name resolution shared by the session-level handlers: a possibly schema-qualified,
 * possibly quoted name → a catalog relation, following search_path.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { RelationCatalog } from '../catalog/model';
import type { FrontendSession } from '../session/session';

/** Splits `a.b` / `"A"."b"` into parts, folding unquoted parts to lower case. */
export function splitQualifiedName(name: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < name.length) {
    if (name[i] === '"') {
      let j = i + 1;
      let part = '';
      while (j < name.length) {
        if (name[j] === '"' && name[j + 1] === '"') {
          part += '"';
          j += 2;
        } else if (name[j] === '"') break;
        else part += name[j++];
      }
      parts.push(part);
      i = j + 1;
    } else {
      let j = i;
      while (j < name.length && name[j] !== '.') j++;
      parts.push(name.slice(i, j).trim().toLowerCase());
      i = j;
    }
    if (name[i] === '.') i++;
  }
  return parts;
}

export function resolveRelationOrThrow(session: FrontendSession, name: string): RelationCatalog {
  const parts = splitQualifiedName(name);
  const rel = session.frontend.catalog.resolveRelation(
    session.database,
    session.searchPath(),
    parts.length > 1 ? parts[parts.length - 2] : null,
    parts[parts.length - 1] ?? '',
    session.user,
  );
  if (!rel) throw new SqlError(SqlState.UndefinedTable, `table or source not found: ${name}`);
  return rel;
}
