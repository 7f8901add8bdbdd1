/**
 * A JSON message (object) → the payload columns of a row. Missing fields are NULL, extra
 * fields are ignored, names match case-insensitively (RisingWave's JSON access).
 */
import type { Datum, Row } from '@freshet/common';
import type { SourceColumn } from '../api';
import { getField, jsonToDatum, type JsonMode } from './json-datum';
import { includeDatum } from './include';
import { parseJsonExact } from './exact-json';
import { MessageError, type SourceMessage } from './types';

/** Parses a JSON object; `exact` keeps integers beyond ±2^53 as bigints (see exact-json.ts). */
export function parseJsonObject(bytes: Buffer, what: string, exact = false): Record<string, unknown> {
  let v: unknown;
  try {
    v = exact ? parseJsonExact(bytes.toString('utf8')) : JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new MessageError(`invalid JSON in ${what}: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MessageError(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * Fills every column: INCLUDE columns from the message, the others from `obj` (all NULL
 * when obj is null). Columns `read` marks false are left NULL — but still checked, so that
 * which messages are malformed does not depend on the columns a job reads.
 */
export function buildRow(
  columns: readonly SourceColumn[],
  obj: Record<string, unknown> | null,
  msg: SourceMessage,
  mode: JsonMode,
  timeZone: string,
  read?: readonly boolean[],
): Row {
  const row = new Array<Datum>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i];
    if (c.include) row[i] = includeDatum(c, msg);
    else if (obj === null) row[i] = null;
    else {
      try {
        const d = jsonToDatum(getField(obj, c.name), c.type, mode, timeZone);
        row[i] = read !== undefined && read[i] === false ? null : d;
      } catch (e) {
        if (e instanceof MessageError) throw new MessageError(`column ${c.name}: ${e.message}`);
        throw e; // InexactInteger: the caller re-reads the message exactly
      }
    }
  }
  return row;
}
