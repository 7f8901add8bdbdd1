/**
 * PostgreSQL regular expressions (ARE) mapped onto JS RegExp. The differences that
 * matter in practice:
 *  - by default `.` and `[^…]` match newlines and `^`/`$` anchor the whole string
 *    (JS flag `s`, no `m`); flag `n` (newline-sensitive) flips both;
 *  - POSIX classes `[[:alpha:]]`, the escapes `\m \M \y \A \Z`, and embedded options
 *    `(?i)` at the start of the pattern;
 *  - PG flags: i (case-insensitive), c (sensitive), n/m (newline-sensitive), s, g, x
 *    (expanded: whitespace and #-comments ignored).
 * Compiled patterns are cached since the same pattern usually repeats for every row.
 */
import { invalidRegex } from '../errors';

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

export interface PgFlags {
  global: boolean;
  js: string;
}

export function parseFlags(flags: string, fn: string): PgFlags {
  let ci = false;
  let newline = false;
  let global = false;
  let expanded = false;
  for (const f of flags) {
    switch (f) {
      case 'i':
        ci = true;
        break;
      case 'c':
        ci = false;
        break;
      case 'n':
      case 'm':
        newline = true;
        break;
      case 's':
        newline = false;
        break;
      case 'g':
        global = true;
        break;
      case 'x':
        expanded = true;
        break;
      case 'p':
      case 'w':
      case 't':
      case 'q':
      case 'b':
      case 'e':
        break;
      default:
        throw invalidRegex(`invalid regular expression option: "${f}"`);
    }
  }
  void fn;
  return { global, js: (ci ? 'i' : '') + (newline ? 'm' : 's') + (expanded ? 'x' : '') };
}

function translate(pattern: string, expanded: boolean): { source: string; extraFlags: string } {
  let extraFlags = '';
  let p = pattern;
  const embedded = /^\(\?([a-z]+)\)/.exec(p);
  if (embedded) {
    extraFlags = embedded[1];
    p = p.slice(embedded[0].length);
  }
  if (p.startsWith('***:')) p = p.slice(4);
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\' && i + 1 < p.length) {
      const n = p[i + 1];
      i++;
      if (inClass) {
        out += '\\' + n;
        continue;
      }
      switch (n) {
        case 'm':
          out += '\\b(?=\\w)';
          break;
        case 'M':
          out += '\\b(?<=\\w)';
          break;
        case 'y':
          out += '\\b';
          break;
        case 'Y':
          out += '\\B';
          break;
        case 'A':
          out += '(?<![\\s\\S])';
          break;
        case 'Z':
          out += '(?![\\s\\S])';
          break;
        default:
          out += '\\' + n;
      }
      continue;
    }
    if (inClass) {
      if (c === '[' && p[i + 1] === ':') {
        const end = p.indexOf(':]', i + 2);
        if (end > 0) {
          const cls = POSIX_CLASSES[p.slice(i + 2, end)];
          if (cls === undefined) throw invalidRegex(`invalid character class`);
          out += cls;
          i = end + 1;
          continue;
        }
      }
      if (c === ']' && !(out.endsWith('[') || out.endsWith('[^'))) inClass = false;
      else if (c === '[') {
        out += '\\[';
        continue;
      }
      out += c;
      continue;
    }
    if (c === '[') inClass = true;
    if (expanded && /\s/.test(c)) continue;
    if (expanded && c === '#') {
      while (i < p.length && p[i] !== '\n') i++;
      continue;
    }
    out += c;
  }
  return { source: out, extraFlags };
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 256;

/**
 * A JS RegExp for a PostgreSQL pattern. `jsFlags` come from parseFlags (without g; the
 * callers add `g` themselves where they iterate). Throws 2201B for invalid patterns.
 */
export function compileRegex(pattern: string, jsFlags = 's', global = false): RegExp {
  const key = `${jsFlags}${global ? 'g' : ''}/${pattern}`;
  let re = cache.get(key);
  if (re) {
    re.lastIndex = 0;
    return re;
  }
  const expanded = jsFlags.includes('x');
  const { source, extraFlags } = translate(pattern, expanded);
  let flags = jsFlags.replace('x', '');
  for (const f of extraFlags) {
    if (f === 'i' && !flags.includes('i')) flags += 'i';
    if ((f === 'n' || f === 'm') && !flags.includes('m')) flags = flags.replace('s', '') + 'm';
  }
  if (global) flags += 'g';
  try {
    re = new RegExp(source, flags + 'u');
  } catch {
    try {
      re = new RegExp(source, flags);
    } catch (e) {
      throw invalidRegex((e as Error).message);
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, re);
  return re;
}

/** PG replacement text (`\1`, `\&`, `\\`) → JS replacement text (`$1`, `$&`, `\`). */
export function translateReplacement(r: string): string {
  let out = '';
  for (let i = 0; i < r.length; i++) {
    const c = r[i];
    if (c === '$') out += '$$';
    else if (c === '\\' && i + 1 < r.length) {
      const n = r[++i];
      if (n >= '1' && n <= '9') out += '$' + n;
      else if (n === '&') out += '$&';
      else out += n;
    } else out += c;
  }
  return out;
}

/** LIKE pattern → anchored RegExp. `%` any run, `_` one character, escape char `\` by default. */
export function likeToRegex(pattern: string, caseInsensitive: boolean, escape = '\\'): RegExp {
  const key = `like${caseInsensitive ? 'i' : ''}${escape}/${pattern}`;
  let re = cache.get(key);
  if (re) return re;
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (escape !== '' && c === escape) {
      if (i + 1 >= pattern.length) {
        throw invalidRegex('LIKE pattern must not end with escape character');
      }
      src += escapeRegex(pattern[++i]);
    } else if (c === '%') src += '[\\s\\S]*';
    else if (c === '_') src += '[\\s\\S]';
    else src += escapeRegex(c);
  }
  re = new RegExp(src + '$', caseInsensitive ? 'iu' : 'u');
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, re);
  return re;
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
