/** External sink connectors (README.md "Sinks"). */
export type { ExternalSinkSpec, ExternalSinkTarget, PreparedSink, SinkColumn, SinkCommitInfo, SinkConnector, SinkContext, SinkStats } from './api';
export { prepareExternalSink, registerSinkConnector, hasSinkConnector, sinkConnectorNames, externalSinkStats, type LiveSinkStats } from './registry';
export { RetryingSinkTarget, DEFAULT_RETRY, type RetryPolicy } from './target-base';
export { jsonEncoder, templateEncoder, sinkPrimaryKey, type RowEncoder } from './encode';
export { RedisSinkTarget, redisSinkConfig, type RedisSinkConfig } from './redis';
export { S3SinkTarget, s3SinkConfig, s3ObjectName, type S3SinkConfig } from './s3';
export { encodeParquet, PARQUET_DECIMAL_PRECISION, PARQUET_DECIMAL_SCALE } from './parquet';
export { PostgresSinkTarget, postgresSinkConfig, type PostgresSinkConfig } from './postgres';
export { KafkaSinkTarget } from './kafka';
