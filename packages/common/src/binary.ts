/**
 * PostgreSQL binary wire format (send/recv) for datums.
 */
import type { Datum } from './datum';
import type { DataType } from './types';

export function encodeBinary(t: DataType, d: Datum): Buffer {
  void t; void d;
  throw new Error('encodeBinary: not implemented yet');
}

export function decodeBinary(t: DataType, buf: Uint8Array): Datum {
  void t; void buf;
  throw new Error('decodeBinary: not implemented yet');
}
