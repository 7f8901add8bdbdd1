/**
 * `connector = 'postgres-cdc'` for the CREATE SOURCE framework (../api.ts). A shared source
 * (no `table.name`) only holds connection options; tables read it through
 * `CREATE TABLE t (…, PRIMARY KEY (…)) FROM src TABLE 'schema.table'`, or name their
 * table themselves with `CREATE TABLE t (…) WITH (connector = 'postgres-cdc', …, table.name = …)`.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { ReaderContext, SourceColumn, SourceConnector, SourceSpec } from '../api';
import { CDC_CONNECTOR, pgCdcConfig } from './config';
import { PostgresCdcReader } from './reader';
import { describeUpstreamTable } from './schema';

export const postgresCdcConnector: SourceConnector = {
  name: CDC_CONNECTOR,
  validate(spec: SourceSpec): SourceColumn[] {
    pgCdcConfig(spec.options);
    for (const c of spec.columns) {
      if (c.include) throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: INCLUDE ${c.include.what} for postgres-cdc`);
      if (c.type.kind === 'struct') {
        throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: postgres-cdc column ${c.name} of type ${c.type.kind}`);
      }
    }
    return [...spec.columns];
  },
  async upstreamTable(spec: SourceSpec) {
    const config = pgCdcConfig(spec.options);
    if (!config.table) return undefined;
    let t;
    try {
      t = await describeUpstreamTable(config);
    } catch (e) {
      throw new SqlError(SqlState.ConnectionFailure, `postgres-cdc ${spec.name}: cannot read the upstream table ${config.schema}.${config.table}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!t) throw new SqlError(SqlState.UndefinedTable, `postgres-cdc ${spec.name}: upstream table ${config.schema}.${config.table} does not exist`);
    if (t.primaryKey.length === 0) {
      throw new SqlError(SqlState.InvalidParameterValue, `postgres-cdc ${spec.name}: upstream table ${config.schema}.${config.table} has no primary key`);
    }
    return t;
  },
  open(spec: SourceSpec, ctx: ReaderContext): PostgresCdcReader {
    const config = pgCdcConfig(spec.options);
    if (!config.table) {
      throw new SqlError(SqlState.FeatureNotSupported, `source ${spec.name} is a shared postgres-cdc source: read its tables with CREATE TABLE … FROM ${spec.name} TABLE 'schema.table'`);
    }
    if (spec.columns.length === 0) throw new SqlError(SqlState.FeatureNotSupported, `postgres-cdc ${spec.name}: declare the table's columns`);
    return new PostgresCdcReader(config, spec, ctx);
  },
};
