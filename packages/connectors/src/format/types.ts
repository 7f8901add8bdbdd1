/**
 * The contract between a message source (the Kafka reader) and the format parsers. Parsers
 * are pure: a message in, a change (or a structured error) out. They never throw for bad
 * input, so a source loop can count and log a malformed message and go on.
 */
import type { Row } from '@freshet/common';
import type { SourceColumn } from '../api';

export interface MessageHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** One message as a source delivers it (Kafka's record, transport-independent). */
export interface SourceMessage {
  readonly partition: number;
  /** Offsets are below 2^53 in practice; a number keeps the hot path free of bigint. */
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Milliseconds since the epoch (the record's CreateTime / LogAppendTime). */
  readonly timestamp: number;
  readonly headers: readonly MessageHeader[];
}

/**
 * What a message means for the table: `insert` (FORMAT PLAIN, Debezium c/r), `upsert`
 * (insert or replace by primary key: FORMAT UPSERT, Debezium u), `delete` (by primary key:
 * an UPSERT tombstone carries only key and INCLUDE columns; Debezium d carries `before`).
 * `before` is Debezium's before-image when the message has one.
 */
export type ChangeOp = 'insert' | 'upsert' | 'delete';

export interface ParsedChange {
  readonly op: ChangeOp;
  /** One datum per spec column, in column order. */
  readonly row: Row;
  readonly before?: Row;
}

export interface ParseError {
  readonly partition: number;
  readonly offset: number;
  readonly reason: string;
}

/** `change: null` means the message carries nothing to apply (a Debezium tombstone, a CSV header). */
export type ParseOutcome = { readonly ok: true; readonly change: ParsedChange | null } | { readonly ok: false; readonly error: ParseError };

export interface RecordParser {
  parse(msg: SourceMessage): ParseOutcome;
  /**
   * FORMAT PLAIN only (every change is an insert): the message's row, null when it carries
   * none, or its error — `parse` without the wrapper objects, for a source's hot loop.
   */
  parseRow?(msg: SourceMessage): Row | null | ParseError;
}

export interface ParserSpec {
  /** `plain` | `upsert` | `debezium` (lower case); default plain. */
  readonly format?: string;
  /** `json` | `csv` | `bytes` (lower case). */
  readonly encode: string;
  /** FORMAT … ENCODE … ( options ): `delimiter`, `without_header`, `timestamptz.handling.mode`. */
  readonly options?: Readonly<Record<string, string>>;
  readonly columns: readonly SourceColumn[];
  /** Zone for zone-less timestamptz text (default UTC). */
  readonly timeZone?: string;
  /**
   * Which columns (by position) the job reads; the others are left NULL. Their values are
   * still checked (a bad one makes the message malformed, as for a job that reads them), but
   * the common valid cases cost no conversion. Undefined: all.
   */
  readonly readColumns?: readonly boolean[];
}

/** Thrown inside parsers only; `createRecordParser` turns it into a ParseError. */
export class MessageError extends Error {}
