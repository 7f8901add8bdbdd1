export { eventually, freePort, portAccepts, sleep } from './ports';
export { ProcessLog } from './process-log';
export { startPostgres, postgresBinDir, type PostgresServer, type PostgresOptions } from './postgres';
export { startFreshet, repoRoot, type FreshetServer, type FreshetOptions } from './freshet';
export { startTestTarget, targetKind, type TestTarget, type TargetKind } from './target';
export { ensurePackages, hasCommand } from './provision';
export { Prng } from './prng';
export { startS3rver, type S3TestClientConfig, type S3TestServer } from './s3rver';
export { startRedis, redisServerBinary, type RedisServer } from './redis';
export {
  RawPgClient,
  frame,
  bindMessage,
  startupPacket,
  cancelRequest,
  isError,
  describeMessage,
  messageNames,
  SSL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  CANCEL_REQUEST_CODE,
  PROTOCOL_3_0,
  type ErrorMessage,
} from './raw-pg';
export { KafkaTestBroker, startKafkaBroker, encodeRecordBatch, decodeRecords, runKcat, type KafkaBrokerOptions, type DecodedRecord, type RecordInput, type KcatResult } from './kafka';
