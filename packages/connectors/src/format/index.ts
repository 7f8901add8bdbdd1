export { createRecordParser } from './parser';
export { jsonToDatum, epochToMicros, type JsonMode } from './json-datum';
export { splitCsvRecord } from './csv';
export type { ChangeOp, MessageHeader, ParsedChange, ParseError, ParseOutcome, ParserSpec, RecordParser, SourceMessage } from './types';
export { encodeJsonObject, encodeJsonValue, type JsonColumn } from './json-encode';
