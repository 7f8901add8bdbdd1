import { describe, expect, it } from 'vitest';
import { T, encodeBinary } from '@freshet/common';
import { bindParamsOf } from '@freshet/pgwire';
import { decodeBindParams, plainIntegerBytes } from './bind-params';

const text = (values: (string | null)[]) => bindParamsOf(values.map((v) => (v === null ? null : Buffer.from(v))), values.map(() => 0));
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'ok';
};

describe('decodeBindParams', () => {
  it('integers: plain digits from the bytes; everything else as the input functions read it', () => {
    const vals = ['42', '-7', '+5', ' 8 ', '1_000', '9223372036854775807', '-9223372036854775808', '123456789012345'];
    expect(decodeBindParams(vals.map(() => T.Int64), text(vals), 'UTC')).toEqual([42n, -7n, 5n, 8n, 1000n, 9223372036854775807n, -9223372036854775808n, 123456789012345n]);
    expect(decodeBindParams([T.Int32, T.Int16], text(['-2147483648', '32767']), 'UTC')).toEqual([-2147483648, 32767]);
    expect(codeOf(() => decodeBindParams([T.Int32], text(['2147483648']), 'UTC'))).toBe('22003');
    expect(codeOf(() => decodeBindParams([T.Int16], text(['40000']), 'UTC'))).toBe('22003');
    expect(codeOf(() => decodeBindParams([T.Int64], text(['-']), 'UTC'))).toBe('22P02');
    expect(codeOf(() => decodeBindParams([T.Int64], text(['']), 'UTC'))).toBe('22P02');
    expect(codeOf(() => decodeBindParams([T.Int32], text(['12a']), 'UTC'))).toBe('22P02');
  });

  it('NULLs, strings, repeated timestamps (one datum shared) and binary values', () => {
    const ts = '2024-01-01 00:00:00+00';
    const [a, b, c, d, e] = decodeBindParams([T.Varchar, T.Timestamptz, T.Timestamptz, T.Varchar, T.Timestamptz], text(['héllo', ts, ts, null, '2024-01-02 00:00:00+00']), 'UTC');
    expect([a, d]).toEqual(['héllo', null]);
    expect(b).toBe(c);
    expect(e).not.toEqual(b);
    const bin = bindParamsOf([encodeBinary(T.Int64, 5n), Buffer.from('6')], [1, 0]);
    expect(decodeBindParams([T.Int64, T.Int64], bin, 'UTC')).toEqual([5n, 6n]);
  });

  it('plainIntegerBytes accepts only [-]digits of at most 15', () => {
    const at = (s: string) => plainIntegerBytes(Buffer.from(s), 0, Buffer.byteLength(s));
    expect([at('0'), at('-12'), at('999999999999999')]).toEqual([0, -12, 999999999999999]);
    for (const s of ['', '-', '+1', ' 1', '1e3', '1000000000000000']) expect(at(s)).toBeNaN();
  });
});
