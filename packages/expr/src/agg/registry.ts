/** Aggregate lookup: resolves `name(argTypes)` over the families below. */
import type { DataType } from '@freshet/common';
import { selectOverload } from '../overload';
import type { AggImpl, AggOptions, AggState } from '../types';
import { boolBitAggregates } from './bool-bit';
import { countAggregates } from './count';
import type { AggDef } from './def';
import { DistinctState } from './distinct';
import { minMaxAggregates } from './min-max';
import { orderedListAggregates } from './ordered-list';
import { orderedSetAggregates } from './ordered-set';
import { sumAvgAggregates } from './sum-avg';
import { varianceAggregates } from './variance';

let byName: Map<string, AggDef[]> | undefined;

function table(): Map<string, AggDef[]> {
  if (byName) return byName;
  byName = new Map();
  const all = [
    ...countAggregates,
    ...sumAvgAggregates,
    ...minMaxAggregates,
    ...orderedListAggregates,
    ...boolBitAggregates,
    ...varianceAggregates,
    ...orderedSetAggregates,
  ];
  for (const def of all) {
    const list = byName.get(def.name);
    if (list) list.push(def);
    else byName.set(def.name, [def]);
  }
  return byName;
}

export function isAggregate(name: string): boolean {
  return table().has(name.toLowerCase());
}

/**
 * Resolves an aggregate call. `count(*)` is `count` with no arguments. With
 * `distinct`, each distinct argument tuple is aggregated once (retractably).
 * `appendOnly` (batch execution) promises no retract(), which lets min/max skip their
 * multiset.
 */
export function resolveAggregate(name: string, argTypes: DataType[], opts: AggOptions = {}): AggImpl {
  const lower = name.toLowerCase();
  const { def, argTypes: chosen } = selectOverload(lower, table().get(lower) ?? [], argTypes);
  const returnType = typeof def.ret === 'function' ? def.ret(chosen) : def.ret;
  const make = def.factory(chosen, returnType, (opts.appendOnly ?? false) && !opts.distinct);
  const create: () => AggState = opts.distinct ? () => new DistinctState(chosen, make()) : make;
  return { name: lower, argTypes: chosen, returnType, orderSensitive: def.orderSensitive ?? false, create };
}
