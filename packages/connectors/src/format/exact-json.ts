/**
 * JSON.parse turns integers beyond 2^53 into the nearest double, which silently corrupts a
 * BIGINT such as a snowflake id. Parsers therefore use JSON.parse first (fast) and, only
 * when a column meets an integer it could not hold exactly (`InexactInteger`), parse that
 * message again with this parser, which keeps such integers as bigints.
 */
import { MessageError } from './types';

/** Thrown by jsonToDatum when an integral JSON number is beyond ±2^53. */
export class InexactInteger extends Error {}

export function parseJsonExact(text: string): unknown {
  const p = new ExactParser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i !== text.length) p.fail();
  return v;
}

class ExactParser {
  i = 0;
  constructor(private readonly s: string) {}

  fail(): never {
    throw new MessageError(`invalid JSON at position ${this.i}`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.i++;
    }
  }

  value(): unknown {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return v;
      }
    }
    return this.fail();
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail();
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail();
      this.ws();
      out[key] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail();
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail();
    }
  }

  private string(): string {
    // Find the closing quote (skipping escapes) and let JSON.parse decode the literal.
    const start = this.i;
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') this.i += 2;
      else if (c === '"') {
        this.i++;
        try {
          return JSON.parse(this.s.slice(start, this.i)) as string;
        } catch {
          return this.fail();
        }
      } else this.i++;
    }
    return this.fail();
  }

  private number(): number | bigint {
    const m = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (!r) return this.fail();
    this.i += r[0].length;
    if (r[2] === undefined && r[3] === undefined) {
      const n = Number(r[0]);
      return Number.isSafeInteger(n) ? n : BigInt(r[0]);
    }
    return Number(r[0]);
  }
}
