/**
 * Checked arithmetic on the JS representations of integer and float types, shared by
 * operators, math functions and aggregates. Integers overflow with 22003 like RisingWave
 * (`Numeric out of range`); floats error when a finite computation overflows to ±inf.
 */
import type { DataType } from '@freshet/common';
import { divisionByZero, numericOutOfRange } from '../errors';

export const INT16_MIN = -32768;
export const INT16_MAX = 32767;
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export function checkInt16(v: number): number {
  if (v < INT16_MIN || v > INT16_MAX) throw numericOutOfRange();
  return v;
}
export function checkInt32(v: number): number {
  if (v < INT32_MIN || v > INT32_MAX) throw numericOutOfRange();
  return v;
}
export function checkInt64(v: bigint): bigint {
  if (v < INT64_MIN || v > INT64_MAX) throw numericOutOfRange();
  return v;
}

/** Range check for a small-int type (int16/int32) result computed exactly or nearly so. */
export function smallIntChecker(t: DataType): (v: number) => number {
  return t.kind === 'int16' ? checkInt16 : checkInt32;
}

export function checkFloat(v: number, a: number, b: number): number {
  if (!Number.isFinite(v) && !Number.isNaN(v) && Number.isFinite(a) && Number.isFinite(b)) throw numericOutOfRange();
  return v;
}

export function floatRounder(t: DataType): (v: number) => number {
  return t.kind === 'float32' ? Math.fround : (v) => v;
}

export function checkNonZero(b: number | bigint): void {
  if (b === 0 || b === 0n) throw divisionByZero();
}
