import { describe, expect, it } from 'vitest';
import { T, encodeBinary, parseDatum } from '@freshet/common';
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

  it('short strings: repeats share one string, look-alikes (same length, first and last byte) stay apart', () => {
    const vals = ['click', 'view', 'click', 'cxxxk', 'view', 'clack', '', 'héllo wörld', 'héllo wörld', 'x'.repeat(33), 'x'.repeat(33), null, 'click'];
    const got = decodeBindParams(vals.map(() => T.Varchar), text(vals), 'UTC');
    expect(got).toEqual(vals);
    expect(got[0]).toBe(got[2]);
    expect(got[12]).toBe(got[0]);
  });

  it("matches the types' input functions (the general path) value by value, NULLs and errors included", () => {
    const types = [T.Int64, T.Varchar, T.Int32, T.Timestamptz, T.Decimal, T.Float64, T.Boolean, T.Date, T.Int16, T.Interval];
    const rows = [
      ['1', 'a', '2', '2024-01-01 00:00:00+00', '1.50', '2.5', 't', '2024-02-29', '7', '1 day'],
      ['-12', 'a', '+3', '2024-01-01 00:00:00+00', '1.50', '-0', 'false', '2024-02-29', '-32768', '1 day'],
      [null, 'b', null, '2024-01-01 01:00:00+02', '0', 'NaN', null, '1999-12-31', null, '01:00:00'],
    ];
    const flatTypes = rows.flatMap(() => types);
    const flat = rows.flat();
    const got = decodeBindParams(flatTypes, text(flat), 'Europe/Paris');
    const want = flat.map((v, i) => (v === null ? null : parseDatum(flatTypes[i], v, 'Europe/Paris')));
    expect(got).toEqual(want);
    // The same statement (the same type array) binds again: the per-statement plan is reused.
    expect(decodeBindParams(flatTypes, text(flat), 'Europe/Paris')).toEqual(want);
    // A type array changed in place is decoded by its new types, never by a stale plan.
    const mutable = [T.Int64, T.Varchar];
    expect(decodeBindParams(mutable, text(['5', '6']), 'UTC')).toEqual([5n, '6']);
    mutable[1] = T.Int32;
    expect(decodeBindParams(mutable, text(['5', '6']), 'UTC')).toEqual([5n, 6]);
    for (const [t, bad, code] of [[T.Int64, '1.5', '22P02'], [T.Timestamptz, 'nope', '22007'], [T.Decimal, 'x', '22P02'], [T.Boolean, 'maybe', '22P02']] as const) {
      expect(codeOf(() => decodeBindParams([T.Varchar, t], text(['ok', bad]), 'UTC'))).toBe(code);
    }
  });

  it('plainIntegerBytes accepts only [-]digits of at most 15', () => {
    const at = (s: string) => plainIntegerBytes(Buffer.from(s), 0, Buffer.byteLength(s));
    expect([at('0'), at('-12'), at('999999999999999')]).toEqual([0, -12, 999999999999999]);
    for (const s of ['', '-', '+1', ' 1', '1e3', '1000000000000000']) expect(at(s)).toBeNaN();
  });
});
