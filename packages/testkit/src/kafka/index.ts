export { KafkaTestBroker, startKafkaBroker, type KafkaBrokerOptions } from './broker';
export { encodeRecordBatch, decodeRecords, type DecodedRecord, type RecordInput } from './protocol/record-batch';
export { SUPPORTED_VERSIONS, ApiKey } from './protocol/constants';
export { runKcat, type KcatResult } from './kcat';
