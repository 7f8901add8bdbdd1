/** Set-returning function lookup. */
import type { DataType, Datum } from '@freshet/common';
import type { EvalContext } from '../context';
import { selectOverload } from '../overload';
import type { TableFunctionImpl } from '../types';
import { tableFunctionDefs, type TableFunctionDef } from './functions';

let byName: Map<string, TableFunctionDef[]> | undefined;

function table(): Map<string, TableFunctionDef[]> {
  if (byName) return byName;
  byName = new Map();
  for (const def of tableFunctionDefs) {
    const list = byName.get(def.name);
    if (list) list.push(def);
    else byName.set(def.name, [def]);
  }
  return byName;
}

export function isTableFunction(name: string): boolean {
  return table().has(name.toLowerCase());
}

const EMPTY: Iterable<Datum[]> = [];

/**
 * Resolves a set-returning function. `eval` returns a lazy iterable (generate_series of a
 * billion rows costs nothing until consumed); NULL arguments give no rows.
 */
export function resolveTableFunction(name: string, argTypes: DataType[]): TableFunctionImpl {
  const lower = name.toLowerCase();
  const { def, argTypes: chosen } = selectOverload(lower, table().get(lower) ?? [], argTypes);
  const { types, names } = def.columns(chosen);
  const run = def.bind(chosen);
  return {
    name: lower,
    argTypes: chosen,
    returnTypes: types,
    columnNames: names,
    eval(args: Datum[], ctx: EvalContext): Iterable<Datum[]> {
      for (const a of args) if (a === null) return EMPTY;
      return run(args, ctx);
    },
  };
}
