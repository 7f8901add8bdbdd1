/**
 * Encoders for server → client messages, each appending one message to a BufferWriter.
 * DataRow is not here: rows are encoded by the result encoder, which picks per-column
 * encoders once per result.
 */
import type { BufferWriter } from './buffer-writer';

/** Backend message type bytes. */
export const BE = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  NegotiateProtocolVersion: 0x76, // v
  NoData: 0x6e, // n
  NoticeResponse: 0x4e, // N
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
} as const;

export const AUTH = {
  Ok: 0,
  CleartextPassword: 3,
  MD5Password: 5,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

export function writeAuthOk(w: BufferWriter): void {
  w.begin(BE.Authentication).int32(AUTH.Ok).end();
}

export function writeAuthCleartext(w: BufferWriter): void {
  w.begin(BE.Authentication).int32(AUTH.CleartextPassword).end();
}

export function writeAuthMd5(w: BufferWriter, salt: Uint8Array): void {
  w.begin(BE.Authentication).int32(AUTH.MD5Password).bytes(salt).end();
}

export function writeAuthSasl(w: BufferWriter, mechanisms: string[]): void {
  w.begin(BE.Authentication).int32(AUTH.SASL);
  for (const m of mechanisms) w.cstring(m);
  w.byte(0).end();
}

export function writeAuthSaslContinue(w: BufferWriter, data: string): void {
  w.begin(BE.Authentication).int32(AUTH.SASLContinue).string(data).end();
}

export function writeAuthSaslFinal(w: BufferWriter, data: string): void {
  w.begin(BE.Authentication).int32(AUTH.SASLFinal).string(data).end();
}

export function writeNegotiateProtocolVersion(w: BufferWriter, newestMinor: number, unrecognized: string[]): void {
  w.begin(BE.NegotiateProtocolVersion).int32((3 << 16) | newestMinor).int32(unrecognized.length);
  for (const o of unrecognized) w.cstring(o);
  w.end();
}

export function writeParameterStatus(w: BufferWriter, name: string, value: string): void {
  w.begin(BE.ParameterStatus).cstring(name).cstring(value).end();
}

export function writeBackendKeyData(w: BufferWriter, processId: number, secretKey: number): void {
  w.begin(BE.BackendKeyData).int32(processId | 0).int32(secretKey | 0).end();
}

export function writeReadyForQuery(w: BufferWriter, status: 'I' | 'T' | 'E'): void {
  w.begin(BE.ReadyForQuery).byte(status.charCodeAt(0)).end();
}

export function writeParseComplete(w: BufferWriter): void {
  w.begin(BE.ParseComplete).end();
}

export function writeBindComplete(w: BufferWriter): void {
  w.begin(BE.BindComplete).end();
}

export function writeCloseComplete(w: BufferWriter): void {
  w.begin(BE.CloseComplete).end();
}

export function writeNoData(w: BufferWriter): void {
  w.begin(BE.NoData).end();
}

export function writePortalSuspended(w: BufferWriter): void {
  w.begin(BE.PortalSuspended).end();
}

export function writeEmptyQueryResponse(w: BufferWriter): void {
  w.begin(BE.EmptyQueryResponse).end();
}

export function writeCommandComplete(w: BufferWriter, tag: string): void {
  w.begin(BE.CommandComplete).cstring(tag).end();
}

/**
 * CopyInResponse / CopyOutResponse: the overall format (0 text, 1 binary) and one format
 * code per column (all equal to the overall one, as PostgreSQL sends them).
 */
export function writeCopyResponse(w: BufferWriter, type: typeof BE.CopyInResponse | typeof BE.CopyOutResponse, format: 0 | 1, columns: number): void {
  w.begin(type).byte(format).int16(columns);
  for (let i = 0; i < columns; i++) w.int16(format);
  w.end();
}

export function writeCopyData(w: BufferWriter, data: Uint8Array): void {
  w.begin(BE.CopyData).bytes(data).end();
}

export function writeCopyDone(w: BufferWriter): void {
  w.begin(BE.CopyDone).end();
}

export function writeParameterDescription(w: BufferWriter, oids: number[]): void {
  w.begin(BE.ParameterDescription).int16(oids.length);
  for (const oid of oids) w.uint32(oid);
  w.end();
}

/** One RowDescription column, already resolved to wire values. */
export interface WireField {
  name: string;
  tableOid: number;
  columnAttr: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  format: number;
}

export function writeRowDescription(w: BufferWriter, fields: readonly WireField[]): void {
  w.begin(BE.RowDescription).int16(fields.length);
  for (const f of fields) {
    w.cstring(f.name).uint32(f.tableOid).int16(f.columnAttr).uint32(f.typeOid).int16(f.typeSize).int32(f.typeModifier).int16(f.format);
  }
  w.end();
}

/** Fields of ErrorResponse / NoticeResponse, by their one-letter codes. */
export interface ErrorFields {
  severity: string;
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: number;
  /** CONTEXT: where the error arose (e.g. `COPY t, line 3`). */
  where?: string;
}

function writeErrorFields(w: BufferWriter, type: number, f: ErrorFields): void {
  w.begin(type);
  w.byte(0x53).cstring(f.severity); // S (localized)
  w.byte(0x56).cstring(f.severity); // V (never localized)
  w.byte(0x43).cstring(f.code); // C
  w.byte(0x4d).cstring(f.message); // M
  if (f.detail !== undefined) w.byte(0x44).cstring(f.detail); // D
  if (f.hint !== undefined) w.byte(0x48).cstring(f.hint); // H
  if (f.position !== undefined) w.byte(0x50).cstring(String(f.position)); // P
  if (f.where !== undefined) w.byte(0x57).cstring(f.where); // W
  w.byte(0).end();
}

export function writeErrorResponse(w: BufferWriter, f: ErrorFields): void {
  writeErrorFields(w, BE.ErrorResponse, f);
}

export function writeNoticeResponse(w: BufferWriter, f: ErrorFields): void {
  writeErrorFields(w, BE.NoticeResponse, f);
}
