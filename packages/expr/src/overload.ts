/**
 * Overload resolution, following PostgreSQL's rules for functions and operators
 * (typeconv-func / typeconv-oper) the way RisingWave implements them:
 *
 *  1. keep the candidates with the right arity (variadic tails expand);
 *  2. a binary call with one `unknown` side prefers a candidate whose two argument types
 *     both equal the known side's type;
 *  3. drop candidates an argument cannot be implicitly cast to; rank the rest by exact
 *     matches, then by positions taking a preferred type (float8, bool, varchar,
 *     timestamptz, interval);
 *  4. for `unknown` arguments pick a type category: varchar if any candidate accepts it
 *     there, else the one category all candidates share (preferring its preferred type);
 *  5. if all known arguments share one type, keep candidates that accept it everywhere.
 *
 * A candidate left alone wins; none → 42883, several → 42725.
 */
import { listOf, typeEquals, T, type DataType } from '@freshet/common';
import { canCast, commonSupertype } from './coercion';
import { ambiguousFunction, undefinedFunction } from './errors';

/**
 * A formal parameter: a concrete type, or a polymorphic placeholder.
 * - `any`: takes the actual type as it is (an `unknown` literal becomes varchar);
 * - `anynonarray`: like `any` but refuses lists (PostgreSQL's `text || anynonarray`);
 * - `anyelement` / `anyarray`: every such position unifies to one element type E
 *   (anyarray positions take E[]), E being the common supertype of the actual types.
 */
export type ArgSpec = DataType | 'any' | 'anynonarray' | 'anyelement' | 'anyarray';

export interface Signature {
  readonly args: readonly ArgSpec[];
  /** A repeated trailing parameter (`VARIADIC`): zero or more extra arguments of this spec. */
  readonly variadic?: ArgSpec;
  /** Least number of variadic arguments (default 0). */
  readonly minVariadic?: number;
}

const PREFERRED = new Set(['float64', 'boolean', 'varchar', 'timestamptz', 'interval']);
const isPreferred = (t: DataType) => PREFERRED.has(t.kind);
const isUnknown = (t: DataType) => t.kind === 'unknown';
const implicitOk = (from: DataType, to: DataType, eqOk: boolean) =>
  (eqOk && typeEquals(from, to)) || (!typeEquals(from, to) && canCast(from, to, 'implicit'));

/** The concrete parameter types `sig` takes for these actual arguments, or undefined. */
export function instantiate(sig: Signature, actual: readonly DataType[]): DataType[] | undefined {
  const n = actual.length;
  if (sig.variadic === undefined ? n !== sig.args.length : n < sig.args.length + (sig.minVariadic ?? 0)) {
    return undefined;
  }
  const specAt = (i: number): ArgSpec => (i < sig.args.length ? sig.args[i] : sig.variadic!);
  let polymorphic = false;
  const elems: DataType[] = [];
  for (let i = 0; i < n; i++) {
    const spec = specAt(i);
    const a = actual[i];
    if (spec === 'anyelement') {
      polymorphic = true;
      if (!isUnknown(a)) elems.push(a);
    } else if (spec === 'anynonarray') {
      if (a.kind === 'list') return undefined;
    } else if (spec === 'anyarray') {
      polymorphic = true;
      if (a.kind === 'list') elems.push(a.elem);
      else if (!isUnknown(a)) return undefined;
    }
  }
  let elem: DataType = T.Varchar;
  if (polymorphic && elems.length > 0) {
    const common = commonSupertype(elems);
    if (common === undefined) return undefined;
    elem = common;
  }
  const out: DataType[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const spec = specAt(i);
    if (spec === 'any' || spec === 'anynonarray') out[i] = isUnknown(actual[i]) ? T.Varchar : actual[i];
    else if (spec === 'anyelement') out[i] = elem;
    else if (spec === 'anyarray') out[i] = listOf(elem);
    else out[i] = spec;
  }
  return out;
}

export interface Candidate<D> {
  readonly def: D;
  readonly argTypes: DataType[];
}

/**
 * Picks the best of `defs` for a call `name(actual)`. Throws 42883 when nothing fits and
 * 42725 when the rules leave a tie.
 */
export function selectOverload<D extends Signature>(name: string, defs: readonly D[], actual: readonly DataType[]): Candidate<D> {
  const all: Candidate<D>[] = [];
  for (const def of defs) {
    const argTypes = instantiate(def, actual);
    if (argTypes) all.push({ def, argTypes });
  }
  if (all.length === 0) throw undefinedFunction(name, actual);

  // Rule 2 (binary operators): `x op unknown` looks for op(typeof x, typeof x) first.
  if (actual.length === 2 && isUnknown(actual[0]) !== isUnknown(actual[1])) {
    const known = isUnknown(actual[0]) ? actual[1] : actual[0];
    const exact = all.find((c) => typeEquals(c.argTypes[0], known) && typeEquals(c.argTypes[1], known));
    if (exact) return exact;
  }

  let cands = topMatches(all, actual);
  if (cands.length === 0) throw undefinedFunction(name, actual);
  if (cands.length > 1) cands = narrowCategory(cands, actual);
  if (cands.length > 1) cands = narrowSameType(cands, actual);
  if (cands.length > 1) cands = dedupe(cands);
  if (cands.length === 1) return cands[0];
  throw ambiguousFunction(name, actual);
}

function topMatches<D>(cands: Candidate<D>[], actual: readonly DataType[]): Candidate<D>[] {
  let bestExact = -1;
  let bestPreferred = -1;
  let best: Candidate<D>[] = [];
  for (const c of cands) {
    let exact = 0;
    let preferred = 0;
    let castable = true;
    for (let i = 0; i < actual.length; i++) {
      const a = actual[i];
      const f = c.argTypes[i];
      if (isUnknown(a)) continue;
      if (typeEquals(a, f)) exact++;
      else if (!implicitOk(a, f, false)) {
        castable = false;
        break;
      }
      if (isPreferred(f)) preferred++;
    }
    if (!castable) continue;
    if (exact > bestExact || (exact === bestExact && preferred > bestPreferred)) {
      bestExact = exact;
      bestPreferred = preferred;
      best = [];
    }
    if (exact === bestExact && preferred === bestPreferred) best.push(c);
  }
  return best;
}

function narrowCategory<D>(cands: Candidate<D>[], actual: readonly DataType[]): Candidate<D>[] {
  const chosen: (DataType | undefined)[] = [];
  for (let i = 0; i < actual.length; i++) {
    if (!isUnknown(actual[i])) {
      chosen.push(undefined);
      continue;
    }
    let category: DataType | null = cands[0].argTypes[i];
    for (let k = 1; k < cands.length; k++) {
      const f = cands[k].argTypes[i];
      if (f.kind === 'varchar' || category?.kind === 'varchar') {
        category = T.Varchar;
        break;
      }
      if (category === null) continue;
      if (implicitOk(f, category, true)) continue;
      category = implicitOk(category, f, false) ? f : null;
    }
    if (category === null) return cands;
    chosen.push(category);
  }
  const kept = cands.filter((c) =>
    c.argTypes.every((f, i) => {
      const sel = chosen[i];
      return sel === undefined || typeEquals(f, sel) || (!isPreferred(sel) && implicitOk(f, sel, false));
    }),
  );
  return kept.length > 0 ? kept : cands;
}

function narrowSameType<D>(cands: Candidate<D>[], actual: readonly DataType[]): Candidate<D>[] {
  let same: DataType | undefined;
  for (const a of actual) {
    if (isUnknown(a)) continue;
    if (same === undefined) same = a;
    else if (!typeEquals(same, a)) return cands;
  }
  if (same === undefined) return cands;
  const s = same;
  const kept = cands.filter((c) => c.argTypes.every((f) => implicitOk(s, f, true)));
  return kept.length > 0 ? kept : cands;
}

/**
 * Candidates that instantiate to identical argument types (`text || text` and
 * `text || anynonarray` for two unknowns) are one: the first registered wins, so
 * families list concrete signatures before polymorphic ones.
 */
function dedupe<D>(cands: Candidate<D>[]): Candidate<D>[] {
  const out: Candidate<D>[] = [];
  for (const c of cands) {
    if (!out.some((o) => o.argTypes.every((t, i) => typeEquals(t, c.argTypes[i])))) out.push(c);
  }
  return out;
}
