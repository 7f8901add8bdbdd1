/**
 * `INCLUDE key | partition | offset | timestamp | header ['name']` columns: message metadata
 * as datums of the column's type. RisingWave's defaults are bytea (key, a named header),
 * varchar (partition, offset), timestamptz (timestamp) and struct<key varchar, value bytea>[]
 * (all headers); a varchar key/header column gets the bytes as UTF-8 text.
 */
import type { DataType, Datum } from '@freshet/common';
import { StructValue } from '@freshet/common';
import type { SourceColumn } from '../api';
import { MessageError, type SourceMessage } from './types';

export function includeDatum(col: SourceColumn, msg: SourceMessage): Datum {
  const inc = col.include!;
  switch (inc.what.toLowerCase()) {
    case 'key':
      return bytesAs(msg.key, col.type);
    case 'partition':
      return numberAs(msg.partition, col.type);
    case 'offset':
      return numberAs(msg.offset, col.type);
    case 'timestamp':
      return col.type.kind === 'int64' ? BigInt(msg.timestamp) : msg.timestamp * 1000;
    case 'header': {
      if (inc.inner !== undefined) {
        // The last header of that name wins, as Kafka's `lastHeader`.
        for (let i = msg.headers.length - 1; i >= 0; i--) if (msg.headers[i].key === inc.inner) return bytesAs(msg.headers[i].value, col.type);
        return null;
      }
      return msg.headers.map((h) => new StructValue([h.key, h.value === null ? null : new Uint8Array(h.value)]));
    }
    default:
      throw new MessageError(`unsupported INCLUDE ${inc.what}`);
  }
}

function bytesAs(b: Buffer | null, t: DataType): Datum {
  if (b === null) return null;
  return t.kind === 'varchar' ? b.toString('utf8') : new Uint8Array(b);
}

function numberAs(n: number, t: DataType): Datum {
  switch (t.kind) {
    case 'int64':
    case 'serial':
      return BigInt(n);
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
      return n;
    default:
      return String(n);
  }
}
