/**
 * The scalar function registry: every built-in scalar function and operator, looked up
 * by name and resolved to one implementation for the given argument types.
 */
import { type DataType, type Datum } from '@freshet/common';
import type { EvalContext } from './context';
import { selectOverload } from './overload';
import type { ScalarDef, EvalFn } from './scalar/def';
import { builtinScalars } from './scalar/builtins';
import type { ScalarImpl } from './types';

let byName: Map<string, ScalarDef[]> | undefined;

function table(): Map<string, ScalarDef[]> {
  if (byName) return byName;
  byName = new Map();
  for (const def of builtinScalars()) {
    const list = byName.get(def.name);
    if (list) list.push(def);
    else byName.set(def.name, [def]);
  }
  return byName;
}

class StrictImpl implements ScalarImpl {
  readonly strict = true;
  constructor(
    readonly name: string,
    readonly argTypes: DataType[],
    readonly returnType: DataType,
    private readonly fn: EvalFn,
  ) {}
  eval(args: Datum[], ctx: EvalContext): Datum {
    for (let i = 0; i < args.length; i++) if (args[i] === null) return null;
    return this.fn(args, ctx);
  }
}

class LenientImpl implements ScalarImpl {
  readonly strict = false;
  constructor(
    readonly name: string,
    readonly argTypes: DataType[],
    readonly returnType: DataType,
    private readonly fn: EvalFn,
  ) {}
  eval(args: Datum[], ctx: EvalContext): Datum {
    return this.fn(args, ctx);
  }
}

/** True if a scalar function (or operator) of this name exists, whatever its arguments. */
export function hasScalar(name: string): boolean {
  return table().has(name.toLowerCase());
}

/**
 * Resolves `name(argTypes)`. The returned `argTypes` are the chosen signature's; the
 * caller casts each actual argument to them (implicitly) before calling `eval`.
 * Throws SqlError 42883 for unknown functions or argument types with no overload.
 */
export function resolveScalar(name: string, argTypes: DataType[]): ScalarImpl {
  const lower = name.toLowerCase();
  const { def, argTypes: chosen } = selectOverload(lower, table().get(lower) ?? [], argTypes);
  const returnType = typeof def.ret === 'function' ? def.ret(chosen) : def.ret;
  const evalFn = def.eval ?? def.bind!(chosen, returnType);
  return def.strict === false
    ? new LenientImpl(lower, chosen, returnType, evalFn)
    : new StrictImpl(lower, chosen, returnType, evalFn);
}
