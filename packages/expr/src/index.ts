/**
 * @freshet/expr: scalar functions and operators, set-returning functions, aggregates and
 * window functions, each resolved by name and argument types (see README.md).
 */
export type { EvalContext } from './context';
export type { ScalarImpl, TableFunctionImpl, AggImpl, AggState, AggOptions } from './types';
export { resolveScalar, hasScalar } from './registry';
export { resolveTableFunction, isTableFunction } from './table/registry';
export { resolveAggregate, isAggregate } from './agg/registry';
export { resolveWindowFunction, isWindowFunction } from './window/registry';
export { aggregateAsWindow } from './window/aggregate-window';
export { buildFrames, buildPeers, type Frames, type Peers, type RangeOrder } from './window/frames';
export type { WindowImpl, WindowPartition, FrameSpec, FrameBound, FrameBoundKind } from './window/types';
export { DEFAULT_FRAME } from './window/types';
export { selectOverload, instantiate, type ArgSpec, type Signature } from './overload';
export { arrayAccess, arraySlice } from './scalar/array';
export { substr } from './scalar/string';
export { VERSION_STRING } from './scalar/misc';
export * from './cast';
export { quoteIdent, quoteLiteral } from './scalar/string';
export { compileJsScalar, compileJsTable, checkJsTypes, JS_UDF_TIMEOUT_MS, UdfState, type JsFunctionDef, type JsScalarImpl } from './udf/javascript';
