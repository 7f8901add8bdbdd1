/**
 * SQL string functions count characters (code points), JS strings count UTF-16 units.
 * These helpers take the fast path when a string has no surrogate pairs.
 */
const SURROGATE = /[\uD800-\uDFFF]/;

export function hasSurrogates(s: string): boolean {
  return SURROGATE.test(s);
}

export function cpLength(s: string): number {
  if (!hasSurrogates(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Code points [start, end) (0-based, clamped). */
export function cpSlice(s: string, start: number, end = Infinity): string {
  if (!hasSurrogates(s)) return s.slice(Math.max(0, start), end === Infinity ? undefined : Math.max(0, end));
  return Array.from(s).slice(Math.max(0, start), end === Infinity ? undefined : Math.max(0, end)).join('');
}

export function cpArray(s: string): string[] {
  return hasSurrogates(s) ? Array.from(s) : s.split('');
}

const encoder = new TextEncoder();
export function utf8Length(s: string): number {
  // Fast path: pure ASCII.
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 127) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : encoder.encode(s).length;
}

export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}
