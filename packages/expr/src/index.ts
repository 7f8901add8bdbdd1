export type { EvalContext } from './context';
export type { ScalarImpl, TableFunctionImpl, AggImpl, AggState, AggOptions } from './types';
export { resolveScalar, hasScalar } from './registry';
export * from './cast';
