/**
 * @freshet/connectors: sources (datagen, nexmark; Kafka and CDC register theirs) and the
 * source executor that brings their rows into stream graphs. See README.md.
 */
// Connectors with their own modules replace their declaration-only registry entries here.
import './kafka/register';
import './cdc/register';

export type { ReaderContext, SourceChange, SourceColumn, SourceConnector, SourceFormat, SourceReader, SourceSpec, SplitOffsets } from './api';
export { registerSourceConnector, sourceConnector, sourceConnectorNames } from './registry';
export { ConnectorSourceExecutor, type ConnectorSourceOptions, type SourcePosition } from './source-executor';
export { readBoundedSource, SNAPSHOT_ROW_LIMIT } from './snapshot';
export { OptionReader, missingOption, invalidOption, parseDuration } from './options';
export { rejectUnknownOptions } from './registry-util';
export { SmallRng } from './rng';
export { datagenConnector, DEFAULT_ROWS_PER_SECOND } from './datagen';
export { nexmarkConnector } from './nexmark';
export { GeneratorConfig as NexmarkGeneratorConfig, EventGenerator as NexmarkEventGenerator, type NexmarkEvent } from './nexmark/generator';
export { defaultNexmarkConfig, parseNexmarkProperties, NEXMARK_TABLE_BASE_TIME, type NexmarkConfig, type NexmarkProperties } from './nexmark/config';
export { nexmarkColumns } from './nexmark/schema';
// Kafka source reader, sink writer and the FORMAT/ENCODE parsers (README: "Kafka").
export * from './kafka';
export * from './format';
// External sinks: Redis, S3 (Parquet/JSON), PostgreSQL (README: "Sinks").
export * from './sink';
// PostgreSQL CDC source (README: "postgres-cdc").
export * from './cdc';
