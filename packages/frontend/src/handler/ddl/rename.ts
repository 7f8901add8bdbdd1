/**
 * ALTER TABLE | VIEW | MATERIALIZED VIEW | INDEX | SOURCE | SINK name RENAME TO new_name.
 *
 * Running streaming jobs address relations by id, so a rename touches only catalog text:
 * the object's own definition (SHOW CREATE shows the new name) and the stored SQL of every
 * view, materialized view and index that reads it, which is what views are bound from and
 * MVs are planned from at restart. References are rewritten in place, by the locations
 * the parser reports: `FROM old` becomes `FROM new AS old` (so `old.col` and the output
 * column names keep working), `FROM old o` becomes `FROM new o`, and the table argument of
 * TUMBLE/HOP and `CHANGELOG FROM old` take the new name. A dependent whose text cannot be
 * rewritten safely (a CTE of the same name, a temporal join without alias, a table created
 * FROM a source) makes the rename fail with 0A000 before anything changes. Sinks are
 * planned again from their CREATE SINK text, so their FROM / INTO names and AS query are
 * rewritten the same way (there without aliases).
 */
import { SqlError, SqlState, notSupported } from '@freshet/common';
import { type PgNode, type PgStatement, type Token, parseSql, tokenize } from '@freshet/sql';
import { kindName } from '../../catalog/catalog';
import type { RelationCatalog, RelationKind } from '../../catalog/model';
import { type DdlContext, displayName, inBatch, resolveRelation } from './context';
import { queryText } from './create-view';
import { rangeVarName, strVal } from './pg-nodes';

const RENAMABLE: Partial<Record<string, RelationKind>> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized_view',
  OBJECT_INDEX: 'index',
  // Marked by the SQL front pass (the PostgreSQL grammar has no ALTER SOURCE / SINK).
  OBJECT_SOURCE: 'source',
  OBJECT_SINK: 'sink',
};

const TAG: Record<RelationKind, string> = {
  table: 'ALTER_TABLE',
  view: 'ALTER_VIEW',
  materialized_view: 'ALTER_MATERIALIZED_VIEW',
  index: 'ALTER_INDEX',
  source: 'ALTER_SOURCE',
  sink: 'ALTER_SINK',
};

export function isRelationRename(node: PgNode): boolean {
  return RENAMABLE[node.renameType] !== undefined;
}

export async function renameRelationTo(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.RenameStmt as PgNode;
  const kind = RENAMABLE[node.renameType]!;
  const qn = rangeVarName(node.relation);
  const rel = resolveRelation(ctx, qn);
  if (!rel || rel.kind !== kind) {
    if (node.missing_ok) {
      ctx.notice(`relation "${displayName(qn)}" does not exist, skipping`);
      return TAG[kind];
    }
    throw new SqlError(SqlState.UndefinedTable, `${kindName(kind)} not found: ${displayName(qn)}`);
  }
  const newName: string = node.newname;
  if (newName === rel.name) return TAG[kind];
  const clash = ctx.catalog.getRelation(rel.database, rel.schema, newName);
  if (clash) throw new SqlError(SqlState.DuplicateTable, `${kindName(clash.kind)} with name ${newName} already exists`);
  // Compute every rewrite first: a dependent that cannot be rewritten fails the whole rename.
  const updates: RelationCatalog[] = [{ ...rel, name: newName, definition: renameOwnName(rel.definition, rel.name, newName) }];
  for (const d of ctx.catalog.dependents(rel.id)) {
    if (d.kind === 'table' || d.kind === 'source') {
      throw notSupported(`renaming ${kindName(rel.kind)} ${rel.name} while ${kindName(d.kind)} ${d.name} reads it`);
    }
    const definition = rewriteReferences(ctx, d, d.definition, rel, newName);
    updates.push({ ...d, definition, query: d.query === undefined ? undefined : storedQuery(d, definition) });
  }
  await inBatch(ctx, (batch) => {
    for (const u of updates) ctx.catalog.updateRelation(u, batch);
  });
  return TAG[kind];
}

/** `CREATE … old …` → the same text naming `newName` (the first name after the CREATE words). */
function renameOwnName(definition: string, oldName: string, newName: string): string {
  const toks = tokenize(definition);
  const lead = new Set(['CREATE', 'OR', 'REPLACE', 'UNIQUE', 'MATERIALIZED', 'VIEW', 'TABLE', 'INDEX', 'IF', 'NOT', 'EXISTS', 'SOURCE', 'SINK', 'TEMP', 'TEMPORARY', 'CONCURRENTLY']);
  let i = 0;
  while (i < toks.length && toks[i].type === 'word' && lead.has(toks[i].upper)) i++;
  const last = lastOfChain(toks, i);
  if (last === undefined || last.value.toLowerCase() !== oldName.toLowerCase()) return definition;
  return splice(definition, [{ start: last.start, end: last.end, text: ident(newName) }]);
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * `text` (a stored statement or query of dependent `d`) with its references to `rel`
 * renamed. Throws 0A000 where that cannot be done safely.
 */
function rewriteReferences(ctx: DdlContext, d: RelationCatalog, text: string, rel: RelationCatalog, newName: string): string {
  const stmts = parseSql(text);
  const st = stmts[0];
  if (stmts.length !== 1 || (st.kind !== 'pg' && st.kind !== 'create_sink')) throw notSupported(`renaming ${rel.name} while ${kindName(d.kind)} ${d.name} reads it`);
  const toks = tokenize(text);
  const refersToRel = (schema: string | null, name: string) =>
    name === rel.name && ctx.catalog.resolveRelation(d.database, [d.schema, 'public'], schema, name, d.owner)?.id === rel.id;
  const edits: Edit[] = [];
  let root: PgNode | undefined;
  if (st.kind === 'create_sink') {
    // `CREATE SINK s [INTO t] FROM rel | AS query`: the names before AS, then the query.
    for (let k = 0; k < toks.length && !(toks[k].type === 'word' && (toks[k].upper === 'AS' || toks[k].upper === 'WITH')); k++) {
      if (toks[k].type !== 'word' || (toks[k].upper !== 'FROM' && toks[k].upper !== 'INTO')) continue;
      const last = lastOfChain(toks, k + 1);
      if (!last) continue;
      const parts = chainParts(toks, k + 1);
      if (refersToRel(parts.length > 1 ? parts[parts.length - 2] : null, parts[parts.length - 1])) edits.push({ start: last.start, end: last.end, text: ident(newName) });
    }
    root = st.query;
  } else root = st.node;
  const ctes = new Set<string>((st.rw?.changelogCtes ?? []).map((c) => c.name));
  collectCteNames(root, ctes);
  if (ctes.has(rel.name)) throw notSupported(`renaming ${rel.name} while ${kindName(d.kind)} ${d.name} has a WITH query of the same name`);
  const temporal = new Set((st.rw?.temporalJoins ?? []).map((t) => t.location));
  const own = st.kind === 'pg' ? ownTarget(st.node) : undefined;
  // `CREATE INDEX … ON t`: a name without alias is the only form allowed there.
  const noAlias = st.kind === 'pg' ? (st.node.IndexStmt?.relation as PgNode | undefined) : undefined;
  walk(root, (n) => {
    const rv = n.RangeVar as PgNode | undefined;
    if (rv && rv !== own && typeof rv.location === 'number' && refersToRel(rv.schemaname ?? null, rv.relname)) {
      const last = lastOfChain(toks, toks.findIndex((t) => t.start === rv.location));
      if (!last) throw notSupported(`renaming ${rel.name}: cannot locate its reference in ${d.name}`);
      const prev = previousWords(toks, toks.findIndex((t) => t.start === rv.location), 2);
      const plain = rv === noAlias || rv.alias !== undefined || (prev[0] === 'CHANGELOG' && prev[1] === 'FROM');
      if (!plain && temporal.has(rv.location)) throw notSupported(`renaming ${rel.name} while ${kindName(d.kind)} ${d.name} joins it FOR SYSTEM_TIME without an alias`);
      edits.push({ start: last.start, end: last.end, text: plain ? ident(newName) : `${ident(newName)} AS ${ident(rel.name)}` });
    }
    const fc = n.FuncCall as PgNode | undefined;
    if (fc) {
      const fname = strVal((fc.funcname as PgNode[])[(fc.funcname as PgNode[]).length - 1]).toLowerCase();
      const first = (fc.args as PgNode[] | undefined)?.[0]?.ColumnRef;
      if ((fname === 'tumble' || fname === 'hop') && first) {
        const parts = (first.fields as PgNode[]).map(strVal);
        if (refersToRel(parts.length > 1 ? parts[parts.length - 2] : null, parts[parts.length - 1])) {
          const last = lastOfChain(toks, toks.findIndex((t) => t.start === first.location));
          if (last) edits.push({ start: last.start, end: last.end, text: ident(newName) });
        }
      }
    }
  });
  return splice(text, edits);
}

/** A dependent's stored query, from its rewritten definition (views and MVs: the text after AS). */
function storedQuery(d: RelationCatalog, definition: string): string {
  if (d.kind !== 'sink') return queryText(definition);
  const st = parseSql(definition)[0];
  if (st.kind !== 'create_sink') return d.query!;
  return st.queryText ?? (st.from ? `SELECT * FROM ${st.from}` : d.query!);
}

/** The RangeVar a CREATE statement creates (not a reference to rewrite). */
function ownTarget(node: PgNode): PgNode | undefined {
  return node.CreateTableAsStmt?.into?.rel ?? node.ViewStmt?.view ?? node.CreateStmt?.relation;
}

function collectCteNames(n: unknown, out: Set<string>): void {
  walk(n, (x) => {
    const cte = x.CommonTableExpr as PgNode | undefined;
    if (cte) out.add(cte.ctename);
  });
}

function walk(n: unknown, visit: (node: PgNode) => void): void {
  if (Array.isArray(n)) {
    for (const x of n) walk(x, visit);
    return;
  }
  if (!n || typeof n !== 'object') return;
  visit(n as PgNode);
  for (const v of Object.values(n as PgNode)) walk(v, visit);
}

/** The last identifier of the dotted name starting at token `i` (`a`, `s.a`, `db.s.a`). */
function lastOfChain(toks: Token[], i: number): Token | undefined {
  if (i < 0 || i >= toks.length || (toks[i].type !== 'word' && toks[i].type !== 'qident')) return undefined;
  while (i + 2 < toks.length && toks[i + 1].type === 'punct' && toks[i + 1].value === '.' && (toks[i + 2].type === 'word' || toks[i + 2].type === 'qident')) i += 2;
  return toks[i];
}

/** The identifiers of the dotted name starting at token `i`, as written. */
function chainParts(toks: Token[], i: number): string[] {
  // Unquoted identifiers fold to lower case, quoted ones are exact.
  const name = (t: Token) => (t.type === 'word' ? t.value.toLowerCase() : t.value);
  const out = [name(toks[i])];
  while (i + 2 < toks.length && toks[i + 1].type === 'punct' && toks[i + 1].value === '.') {
    i += 2;
    out.push(name(toks[i]));
  }
  return out;
}

/** The upper-cased words right before token `i`, nearest last. */
function previousWords(toks: Token[], i: number, n: number): string[] {
  const out: string[] = [];
  for (let j = i - 1; j >= 0 && out.length < n; j--) out.unshift(toks[j].upper);
  return out;
}

function splice(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** An identifier as SQL text: bare when it reads back the same, else double-quoted. */
function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
