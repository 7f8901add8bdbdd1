/**
 * Parses sqllogictest files in the sqllogictest-rs dialect that RisingWave's e2e tests use.
 *
 * Rules that matter for compatibility (and differ from naive readings of the format):
 * - A record ends at the first *exactly* empty line; a line of spaces is part of the SQL.
 * - Lines starting with `#` between records are comments (inside SQL they are kept).
 * - `include <glob>` resolves relative to the including file; matches are inlined in sorted
 *   order; a pattern with no match is silently skipped by the reference runner.
 * - `statement error` / `query error` with no inline regex may be followed by `----` and a
 *   multi-line message that ends at two consecutive empty lines; it must match exactly.
 * - `skipif`/`onlyif` and `connection` apply to the next statement/query only.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expandGlob } from './glob';
import {
  SltParseError,
  type Condition,
  type ExpectedError,
  type Location,
  type Record,
  type Retry,
  type SortMode,
} from './records';

const DELIMITER = '----';
const SORT_MODES = new Set<SortMode>(['nosort', 'rowsort', 'valuesort']);

/** Parses a file and everything it includes, in execution order. */
export function parseFile(file: string, via: string[] = [], depth = 0): Record[] {
  if (depth > 32) throw new SltParseError('include nesting too deep (cycle?)', { file, line: 0, via });
  const text = readFileSync(file, 'utf8');
  const out: Record[] = [];
  for (const rec of parseScript(text, file, via)) {
    if (rec.type !== 'include-missing') {
      out.push(rec);
      continue;
    }
    // parseScript reports every include as include-missing; resolve it here where we know the file.
    const matches = expandGlob(join(dirname(file), rec.pattern));
    if (matches.length === 0) {
      out.push(rec);
      continue;
    }
    const chain = [...via, `${file}:${rec.loc.line}`];
    for (const m of matches) out.push(...parseFile(m, chain, depth + 1));
  }
  return out;
}

/** Splits like Rust's `str::lines`: `\n` or `\r\n`, no trailing empty line. */
function lines(text: string): string[] {
  const ls = text.split('\n');
  if (ls.length && ls[ls.length - 1] === '') ls.pop();
  return ls.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Parses one script without following includes: each `include` comes back as an
 * `include-missing` record carrying its pattern, which parseFile resolves.
 */
export function parseScript(text: string, file = '<script>', via: string[] = []): Record[] {
  const ls = lines(text);
  const records: Record[] = [];
  let conditions: Condition[] = [];
  let connection: string | undefined;
  let i = 0;

  const loc = (line: number): Location => ({ file, line: line + 1, via });

  /** SQL lines up to an empty line or `----`; returns whether the delimiter was seen. */
  const sqlLines = (start: number, delimiter: boolean): { sql: string; hasResults: boolean } => {
    if (i >= ls.length) throw new SltParseError('unexpected end of file', loc(start));
    const body: string[] = [ls[i++]];
    let hasResults = false;
    while (i < ls.length) {
      const l = ls[i++];
      if (l === '') break;
      if (delimiter && l === DELIMITER) {
        hasResults = true;
        break;
      }
      body.push(l);
    }
    return { sql: body.join('\n'), hasResults };
  };

  const multilineError = (): ExpectedError => {
    const body: string[] = [];
    while (i < ls.length) {
      const l = ls[i++];
      if (l === '' && (i >= ls.length || ls[i] === '')) {
        i++;
        break;
      }
      body.push(l);
    }
    return { kind: 'exact', text: body.join('\n').trim() };
  };

  const takeScope = () => {
    const scope = { conditions, connection };
    conditions = [];
    connection = undefined;
    return scope;
  };

  while (i < ls.length) {
    const start = i;
    const line = ls[i++];
    if (line.startsWith('#') || line === '') continue;
    const tokens = line.split(/[ \t\n\f\r]+/).filter(Boolean);
    if (tokens.length === 0) continue;
    const [head, ...rest] = tokens;
    const here = loc(start);
    // sqllogictest-rs: `statement|query … retry <n> backoff <duration>` at the end of the line.
    let retry: Retry | undefined;
    const r = rest.indexOf('retry');
    if ((head === 'statement' || head === 'query') && r >= 0 && rest.length === r + 4 && rest[r + 2] === 'backoff' && /^\d+$/.test(rest[r + 1])) {
      retry = { attempts: Number(rest[r + 1]), backoffMs: parseDuration(rest[r + 3], here) };
      rest.splice(r);
    }
    const invalid = () => new SltParseError(`invalid line: ${JSON.stringify(line)}`, here);

    switch (head) {
      case 'include':
        if (rest.length !== 1) throw invalid();
        records.push({ type: 'include-missing', loc: here, pattern: rest[0] });
        break;
      case 'halt':
        records.push({ type: 'halt', loc: here });
        break;
      case 'subtest':
        break;
      case 'sleep':
        if (rest.length !== 1) throw invalid();
        records.push({ type: 'sleep', loc: here, ms: parseDuration(rest[0], here) });
        break;
      case 'skipif':
      case 'onlyif':
        if (rest.length !== 1) throw invalid();
        conditions.push({ kind: head, label: rest[0] });
        break;
      case 'connection':
        if (rest.length !== 1) throw invalid();
        connection = rest[0] === 'default' ? undefined : rest[0];
        break;
      case 'hash-threshold': {
        const n = Number(rest[0]);
        if (rest.length !== 1 || !Number.isInteger(n) || n < 0) throw invalid();
        records.push({ type: 'hash-threshold', loc: here, threshold: n });
        break;
      }
      case 'control': {
        if (rest[0] === 'sortmode' && rest.length === 2 && SORT_MODES.has(rest[1] as SortMode)) {
          records.push({ type: 'sortmode', loc: here, mode: rest[1] as SortMode });
        } else if (rest[0] === 'substitution' && rest.length === 2 && (rest[1] === 'on' || rest[1] === 'off')) {
          records.push({ type: 'substitution', loc: here, on: rest[1] === 'on' });
        } else throw invalid();
        break;
      }
      case 'system': {
        if (rest[0] !== 'ok') throw invalid();
        const { sql } = sqlLines(start, false);
        records.push({ type: 'system', loc: here, command: sql, ...takeScope() });
        break;
      }
      case 'statement': {
        let expect;
        if (rest.length === 1 && rest[0] === 'ok') expect = { kind: 'ok' as const };
        else if (rest[0] === 'error') expect = { kind: 'error' as const, error: inlineError(rest.slice(1), here) };
        else if (rest[0] === 'count' && rest.length === 2 && /^\d+$/.test(rest[1])) expect = { kind: 'count' as const, count: Number(rest[1]) };
        else throw invalid();
        const { sql, hasResults } = sqlLines(start, true);
        if (hasResults) {
          if (expect.kind !== 'error') throw new SltParseError('statement should have no result, use `query` instead', here);
          if (expect.error.kind !== 'any') throw new SltParseError('error message given both inline and under ----', here);
          expect = { kind: 'error' as const, error: multilineError() };
        }
        records.push({ type: 'statement', loc: here, sql, expect, ...(retry ? { retry } : {}), ...takeScope() });
        break;
      }
      case 'query': {
        let expect;
        if (rest[0] === 'error') {
          expect = { kind: 'error' as const, error: inlineError(rest.slice(1), here) };
        } else {
          const types = rest[0] ?? '';
          let sortMode: SortMode | undefined;
          if (rest[1] !== undefined) {
            if (!SORT_MODES.has(rest[1] as SortMode)) throw new SltParseError(`invalid sort mode: ${rest[1]}`, here);
            sortMode = rest[1] as SortMode;
          }
          expect = { kind: 'results' as const, types, sortMode, label: rest[2], results: [] as string[] };
        }
        const { sql, hasResults } = sqlLines(start, true);
        if (hasResults) {
          if (expect.kind === 'results') {
            while (i < ls.length) {
              const l = ls[i++];
              if (l === '') break;
              expect.results.push(l);
            }
          } else {
            if (expect.error.kind !== 'any') throw new SltParseError('error message given both inline and under ----', here);
            expect = { kind: 'error' as const, error: multilineError() };
          }
        }
        records.push({ type: 'query', loc: here, sql, expect, ...(retry ? { retry } : {}), ...takeScope() });
        break;
      }
      default:
        throw invalid();
    }
  }
  return records;
}

/** `statement error <regex>`: the tokens re-joined by single spaces form the regex. */
function inlineError(tokens: string[], loc: Location): ExpectedError {
  const source = tokens.join(' ');
  if (source === '') return { kind: 'any' };
  return { kind: 'regex', source, regex: compileRustRegex(source, loc) };
}

/**
 * The files are written for Rust's `regex` crate. The syntax mostly coincides with JS; the
 * differences we meet are leading inline flags like `(?i)`, which JS spells as flags.
 */
export function compileRustRegex(source: string, loc?: Location): RegExp {
  let flags = '';
  let body = source;
  const m = /^\(\?([imsx]+)\)/.exec(body);
  if (m) {
    body = body.slice(m[0].length);
    for (const f of m[1]) if (f === 'i' || f === 'm' || f === 's') flags += f;
  }
  try {
    return new RegExp(body, flags);
  } catch (e) {
    if (loc) throw new SltParseError(`invalid error regex ${JSON.stringify(source)}: ${(e as Error).message}`, loc);
    throw e;
  }
}

const DURATION_UNITS: Array<[RegExp, number]> = [
  [/^(ns|nsec|nanos?)$/, 1e-6],
  [/^(us|usec|micros?)$/, 1e-3],
  [/^(ms|msec|millis?)$/, 1],
  [/^(s|sec|secs|seconds?)$/, 1000],
  [/^(m|min|mins|minutes?)$/, 60_000],
  [/^(h|hr|hrs|hours?)$/, 3_600_000],
];

/** humantime-style durations: `2s`, `500ms`, `1m30s`. */
export function parseDuration(text: string, loc: Location): number {
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)([a-z]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text))) {
    const unit = DURATION_UNITS.find(([u]) => u.test(m![2]));
    if (!unit) break;
    ms += Number(m[1]) * unit[1];
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || consumed === 0) throw new SltParseError(`invalid duration: ${text}`, loc);
  return ms;
}
