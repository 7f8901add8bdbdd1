/**
 * Test-only stand-ins for @freshet/common's value codecs while they are still stubs
 * (they throw "not implemented"). Each wrapper calls the real function first, so the
 * tests use the real codecs as soon as they exist. Used via vi.mock in test files.
 */
import type * as Common from '@freshet/common';

const OIDS: Record<string, number> = {
  boolean: 16, int16: 21, int32: 23, int64: 20, float32: 700, float64: 701, decimal: 1700,
  varchar: 1043, bytea: 17, date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184,
  interval: 1186, jsonb: 3802, serial: 20,
};

function orFallback<A extends unknown[], R>(real: (...a: A) => R, fallback: (...a: A) => R): (...a: A) => R {
  return (...a: A) => {
    try {
      return real(...a);
    } catch (e) {
      if (e instanceof Error && /not implemented/.test(e.message)) return fallback(...a);
      throw e;
    }
  };
}

export function withCodecFallbacks(real: typeof Common): typeof Common {
  return {
    ...real,
    typeOid: orFallback(real.typeOid, (t) => OIDS[t.kind] ?? 1043),
    typeFromOid: (oid: number) => {
      const r = real.typeFromOid(oid);
      if (r) return r;
      const kind = Object.keys(OIDS).find((k) => OIDS[k] === oid && k !== 'serial');
      return kind ? real.scalarType(kind as Common.ScalarKind) : undefined;
    },
    formatDatum: orFallback(real.formatDatum, (_t, d) => String(d)),
    encodeBinary: orFallback(real.encodeBinary, (t, d) => {
      if (t.kind === 'int32') {
        const b = Buffer.alloc(4);
        b.writeInt32BE(d as number);
        return b;
      }
      return Buffer.from(String(d), 'utf8');
    }),
  };
}
