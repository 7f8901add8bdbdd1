export { kafkaClientConfig, type KafkaClientConfig, type StartupMode } from './config';
export { KafkaReader, type KafkaReaderOptions, type KafkaReaderStats } from './reader';
export { KafkaSourceReader, kafkaSourceConnector, kafkaParserSpec, readKafkaSnapshot } from './connector';
export { KafkaSinkWriter, validateKafkaSink, type KafkaSinkSpec, type KafkaSinkOptions, type SinkOp } from './sink-writer';
export { recentSourceErrors, sourceErrorCounts, recordSourceError, type SourceErrorRecord } from './source-errors';
