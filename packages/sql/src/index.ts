/**
 * @freshet/sql — SQL parsing: the PostgreSQL grammar (libpg-query) plus a front pass for
 * RisingWave-only syntax. Call `initParser()` once at startup, then `parseSql(sql)`.
 */
export { initParser } from './pg';
export { parseSql } from './parse';
export { resolveTypeName } from './type-name';
export { errorPosition } from './rewrite';
export { tokenize, type Token, type TokenType } from './tokenizer';
export type * from './statement';
