/**
 * Statements taken from the seed articles' text (../shared/seeds/*.txt) at runtime, so the
 * pipeline tests run the articles' SQL as written rather than a paraphrase of it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '@freshet/testkit';

export const seedsDir = resolve(repoRoot, '../shared/seeds');

/** The text of the seed whose file name starts with `prefix` (e.g. `000_`), or undefined when absent. */
export function seedText(prefix: string): string | undefined {
  if (!existsSync(seedsDir)) return undefined;
  const file = readdirSync(seedsDir).find((f) => f.startsWith(prefix));
  return file ? readFileSync(join(seedsDir, file), 'utf8') : undefined;
}

/** The statement starting at the first match of `start` in `text`, up to and including its `;`. */
export function statement(text: string, start: RegExp): string {
  const m = start.exec(text);
  if (!m) throw new Error(`seed text has no statement matching ${start}`);
  const end = text.indexOf(';', m.index);
  return text.slice(m.index, end + 1);
}

/** `CREATE MATERIALIZED VIEW <name> …;` exactly as the article writes it. */
export const mvSql = (text: string, name: string): string => statement(text, new RegExp(`CREATE MATERIALIZED VIEW ${name}\\b`));

/** `CREATE SINK <name> …;` exactly as the article writes it. */
export const sinkSql = (text: string, name: string): string => statement(text, new RegExp(`CREATE SINK ${name}\\b`));

/** `CREATE SOURCE <name> …;` exactly as the article writes it. */
export const sourceSql = (text: string, name: string): string => statement(text, new RegExp(`CREATE SOURCE ${name}\\b`));

/** The parenthesised column list of the article's `CREATE SOURCE name (cols…) WITH (…)`. */
export function sourceColumns(text: string, name: string): string {
  const src = sourceSql(text, name);
  return src.slice(src.indexOf('('), src.search(/\)\s*WITH\s*\(/) + 1);
}

/** Replaces `key = '…'` in a WITH clause (hosts, ports, credentials), failing if the option is absent. */
export function withOption(sql: string, key: string, value: string): string {
  const re = new RegExp(`(${key.replace(/\./g, '\\.')}\\s*=\\s*)'[^']*'`);
  if (!re.test(sql)) throw new Error(`statement has no option ${key}: ${sql}`);
  return sql.replace(re, `$1'${value}'`);
}
