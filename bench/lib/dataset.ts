/**
 * The feature table every target is loaded with. Each row is a pure function of its id
 * (a hash, not a stateful PRNG), so loaders can generate any chunk independently and in
 * parallel, and PostgreSQL and Freshet receive byte-identical data.
 */

/** Column definitions shared by the DDL, the COPY text and the INSERT literals. */
export const FEATURE_COLUMNS = [
  { name: 'id', type: 'bigint primary key' },
  { name: 'f1', type: 'integer' }, // a count, e.g. clicks in the last day
  { name: 'f2', type: 'bigint' }, // an id-like foreign key
  { name: 'f3', type: 'double precision' }, // a score
  { name: 'f4', type: 'numeric' }, // money, 2 decimals
  { name: 'f5', type: 'varchar' }, // a category label
  { name: 'f6', type: 'timestamptz' }, // last seen
  { name: 'f7', type: 'boolean' }, // a flag
  { name: 'f8', type: 'double precision' }, // a ratio in [0, 1)
] as const;

export function createTableSql(table: string): string {
  return `CREATE TABLE ${table} (${FEATURE_COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')})`;
}

/** One row's values in a form both writers can render without re-deriving anything. */
export interface FeatureRow {
  id: number;
  f1: number;
  f2: bigint;
  f3: number;
  /** Already formatted: numeric must not go through a float. */
  f4: string;
  f5: string;
  /** ISO text with an explicit UTC offset, accepted by both systems. */
  f6: string;
  f7: boolean;
  f8: number;
}

const CATEGORIES = ['sports', 'news', 'music', 'games', 'travel', 'food', 'tech', 'fashion'];
const EPOCH_2024_MS = Date.UTC(2024, 0, 1);

/** splitmix64 finaliser: a well-mixed 64-bit hash of the id and a salt. */
export function mix64(id: number, salt: number): bigint {
  let z = (BigInt(id) * 0x9e3779b97f4a7c15n + BigInt(salt) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return z ^ (z >> 31n);
}

/** A uniform float in [0, 1) derived from the id and salt (53 random bits). */
function unit(id: number, salt: number): number {
  return Number(mix64(id, salt) >> 11n) / 2 ** 53;
}

export function featureRow(id: number): FeatureRow {
  const h = mix64(id, 1);
  const cents = Number(h % 10_000_000n);
  return {
    id,
    f1: Number(h & 0xffffn),
    f2: mix64(id, 2) >> 2n, // positive, fits in int8
    // Rounded to 3 decimals so the text form is short and never uses an exponent.
    f3: Math.round(unit(id, 3) * 1e9) / 1e3,
    f4: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    f5: `${CATEGORIES[id % CATEGORIES.length]}_${(Number(h >> 40n) % 100_000).toString(36)}`,
    f6: new Date(EPOCH_2024_MS + Number(mix64(id, 6) % 31_536_000n) * 1000).toISOString().replace('T', ' ').replace('Z', '+00:00'),
    f7: (h & 0x10000n) !== 0n,
    f8: Math.round(unit(id, 8) * 1e6) / 1e6,
  };
}

/** PostgreSQL COPY text format: tab separated, one line per row. No value needs escaping. */
export function copyLine(r: FeatureRow): string {
  return `${r.id}\t${r.f1}\t${r.f2}\t${r.f3}\t${r.f4}\t${r.f5}\t${r.f6}\t${r.f7 ? 't' : 'f'}\t${r.f8}\n`;
}

/** A parenthesised VALUES tuple for a multi-row INSERT. */
export function valuesTuple(r: FeatureRow): string {
  return `(${r.id},${r.f1},${r.f2},${r.f3},${r.f4},'${r.f5}','${r.f6}',${r.f7},${r.f8})`;
}

/** `INSERT INTO table VALUES (...),(...)` for ids [from, to). */
export function insertSql(table: string, from: number, to: number): string {
  const tuples = new Array<string>(to - from);
  for (let id = from; id < to; id++) tuples[id - from] = valuesTuple(featureRow(id));
  return `INSERT INTO ${table} VALUES ${tuples.join(',')}`;
}

/** One row as text parameters, in column order (the extended-protocol loader's Bind values). */
export function rowParams(r: FeatureRow): string[] {
  return [String(r.id), String(r.f1), String(r.f2), String(r.f3), r.f4, r.f5, r.f6, r.f7 ? 't' : 'f', String(r.f8)];
}

/** `INSERT INTO table VALUES ($1,…,$9),(…)` for `rows` rows: prepared once, bound per batch. */
export function preparedInsertSql(table: string, rows: number): string {
  const width = FEATURE_COLUMNS.length;
  const tuples = new Array<string>(rows);
  for (let r = 0; r < rows; r++) {
    const ps = new Array<string>(width);
    for (let c = 0; c < width; c++) ps[c] = `$${r * width + c + 1}`;
    tuples[r] = `(${ps.join(',')})`;
  }
  return `INSERT INTO ${table} VALUES ${tuples.join(',')}`;
}
