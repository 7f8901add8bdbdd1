/**
 * Minimal glob expansion for slt file lists and `include` records: `*`, `?`, `[...]` within
 * one path segment and `**` across segments. Results are sorted, like the Rust `glob` crate
 * the reference runner uses, so include order is deterministic.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

const MAGIC = /[*?[]/;

export function hasMagic(pattern: string): boolean {
  return MAGIC.test(pattern);
}

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Expands `pattern` (relative to `cwd` unless absolute) to existing files, sorted. */
export function expandGlob(pattern: string, cwd = process.cwd()): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
  if (!hasMagic(abs)) return existsSync(abs) && statSync(abs).isFile() ? [abs] : [];
  const segments = abs.split('/').filter((s, i) => s !== '' || i === 0);
  const out: string[] = [];
  walk('/', segments.slice(1), out);
  return [...new Set(out)].sort();
}

function walk(dir: string, rest: string[], out: string[]): void {
  if (rest.length === 0) {
    if (existsSync(dir) && statSync(dir).isFile()) out.push(dir);
    return;
  }
  const [seg, ...tail] = rest;
  if (seg === '**') {
    walk(dir, tail, out);
    for (const e of safeReaddir(dir)) if (e.isDirectory()) walk(join(dir, e.name), rest, out);
    return;
  }
  if (!hasMagic(seg)) {
    walk(join(dir, seg), tail, out);
    return;
  }
  const re = segmentRegex(seg);
  for (const e of safeReaddir(dir)) if (re.test(e.name)) walk(join(dir, e.name), tail, out);
}

function safeReaddir(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
