/** PostgreSQL CDC (pgoutput logical replication) source. See ../../README.md, "postgres-cdc". */
export { postgresCdcConnector } from './connector';
export { PostgresCdcReader, CDC_SPLIT, type CdcReaderStats } from './reader';
export { pgCdcConfig, cdcTableOptions, CDC_CONNECTOR, type PgCdcConfig } from './config';
export { parseLsn, formatLsn } from './lsn';
export { describeUpstreamTable, mapPgType, type UpstreamTable } from './schema';
