/**
 * `control substitution on`: `$NAME`, `${NAME}` and `${NAME:default}` from the environment,
 * plus the runner's own `__TEST_DIR__`, `__NOW__` (ns since epoch) and `__DATABASE__`.
 * `\$` and `\\` escape.
 */
export function substitute(input: string, vars: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '\\' && (input[i + 1] === '$' || input[i + 1] === '\\')) {
      out += input[++i];
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    let name: string;
    let fallback: string | undefined;
    if (input[i + 1] === '{') {
      const end = input.indexOf('}', i + 2);
      if (end < 0) throw new Error(`unterminated variable at offset ${i}`);
      const body = input.slice(i + 2, end);
      const colon = body.indexOf(':');
      name = colon < 0 ? body : body.slice(0, colon);
      fallback = colon < 0 ? undefined : body.slice(colon + 1);
      i = end;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(i + 1));
      if (!m) {
        out += c;
        continue;
      }
      name = m[0];
      i += name.length;
    }
    const value = vars(name) ?? fallback;
    if (value === undefined) throw new Error(`no such variable: ${name}`);
    out += value;
  }
  return out;
}
