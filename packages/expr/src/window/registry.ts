/** Window function lookup: dedicated window functions first, then any aggregate. */
import type { DataType, Datum } from '@freshet/common';
import { resolveAggregate, isAggregate } from '../agg/registry';
import { selectOverload } from '../overload';
import { aggregateAsWindow } from './aggregate-window';
import { windowDefs, type WindowDef } from './functions';
import type { WindowImpl, WindowPartition } from './types';

let byName: Map<string, WindowDef[]> | undefined;

function table(): Map<string, WindowDef[]> {
  if (byName) return byName;
  byName = new Map();
  for (const def of windowDefs) {
    const list = byName.get(def.name);
    if (list) list.push(def);
    else byName.set(def.name, [def]);
  }
  return byName;
}

export function isWindowFunction(name: string): boolean {
  const lower = name.toLowerCase();
  return table().has(lower) || isAggregate(lower);
}

/**
 * Resolves `name(argTypes) OVER (…)`. Ranking/offset/value functions come from the
 * window table; any other name is tried as an aggregate over the frame.
 */
export function resolveWindowFunction(name: string, argTypes: DataType[]): WindowImpl {
  const lower = name.toLowerCase();
  const defs = table().get(lower);
  if (!defs) return aggregateAsWindow(resolveAggregate(lower, argTypes));
  const { def, argTypes: chosen } = selectOverload(lower, defs, argTypes);
  return {
    name: lower,
    argTypes: chosen,
    returnType: def.ret(chosen),
    usesFrame: def.usesFrame,
    evalPartition: (p: WindowPartition): Datum[] => def.eval(p),
  };
}
