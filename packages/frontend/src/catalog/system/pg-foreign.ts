/**
 * Sources and sinks as PostgreSQL foreign tables. psql and GUI tools know nothing of
 * RisingWave's sources and sinks, but they all know foreign tables: pg_class gives both
 * relkind 'f', so `\d` lists them, `\d src` prints their columns, and its footer —
 * read from pg_foreign_table / pg_foreign_server — shows the connector as the "Server"
 * and the WITH options as the "FDW options". Secrets in options are masked.
 */
import { T, listOf } from '@freshet/common';
import type { RelationCatalog } from '../model';
import { type SystemContext, systemTable } from './table';

const I = T.Int32;
const V = T.Varchar;

/** The one foreign-data wrapper every server belongs to. */
const FDW_OID = 91_000;
const FDW_NAME = 'freshet';
/** Servers (one per connector) get oids from here, by connector name order. */
const FIRST_SERVER_OID = 91_001;

/** Relations shown as foreign tables. */
export function isForeign(rel: RelationCatalog): boolean {
  return rel.kind === 'source' || rel.kind === 'sink';
}

/** The connector a source or sink uses: its WITH (connector = …), else what it is. */
function connectorOf(rel: RelationCatalog): string {
  const c = rel.withOptions.connector ?? rel.withOptions.CONNECTOR;
  return c ? c.toLowerCase() : rel.kind === 'sink' ? 'sink' : 'source';
}

const SECRET = /password|secret|token|credential|private|sasl\.jaas/i;

/** WITH options except the connector, as `key=value`, secrets masked. */
function optionsOf(rel: RelationCatalog): string[] {
  return Object.entries(rel.withOptions)
    .filter(([k]) => k.toLowerCase() !== 'connector')
    .map(([k, v]) => `${k}=${SECRET.test(k) ? '********' : v}`);
}

function servers(ctx: SystemContext): Map<string, number> {
  const names = new Set<string>();
  for (const r of ctx.userRelations()) if (isForeign(r)) names.add(connectorOf(r));
  return new Map([...names].sort().map((n, i) => [n, FIRST_SERVER_OID + i]));
}

export const pgForeignDataWrapper = systemTable({
  schema: 'pg_catalog',
  name: 'pg_foreign_data_wrapper',
  oid: 2328,
  columns: [['oid', I], ['fdwname', V], ['fdwowner', I], ['fdwhandler', I], ['fdwvalidator', I], ['fdwacl', listOf(V)], ['fdwoptions', listOf(V)]],
  rows: (ctx) => [{ oid: FDW_OID, fdwname: FDW_NAME, fdwowner: ctx.userOid('root'), fdwhandler: 0, fdwvalidator: 0 }],
});

export const pgForeignServer = systemTable({
  schema: 'pg_catalog',
  name: 'pg_foreign_server',
  oid: 1417,
  columns: [
    ['oid', I], ['srvname', V], ['srvowner', I], ['srvfdw', I], ['srvtype', V], ['srvversion', V], ['srvacl', listOf(V)],
    ['srvoptions', listOf(V)],
  ],
  *rows(ctx: SystemContext) {
    for (const [name, oid] of servers(ctx)) yield { oid, srvname: name, srvowner: ctx.userOid('root'), srvfdw: FDW_OID };
  },
});

export const pgForeignTable = systemTable({
  schema: 'pg_catalog',
  name: 'pg_foreign_table',
  oid: 3118,
  columns: [['ftrelid', I], ['ftserver', I], ['ftoptions', listOf(V)]],
  *rows(ctx: SystemContext) {
    const byName = servers(ctx);
    for (const r of ctx.userRelations()) {
      if (isForeign(r)) yield { ftrelid: r.id, ftserver: byName.get(connectorOf(r))!, ftoptions: optionsOf(r) };
    }
  },
});

export const PG_FOREIGN_GROUP = [pgForeignDataWrapper, pgForeignServer, pgForeignTable];
