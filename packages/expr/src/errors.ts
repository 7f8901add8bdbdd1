/**
 * The evaluation errors functions raise, worded as RisingWave words them (its ExprError
 * display strings), with PostgreSQL's SQLSTATEs.
 */
import { SqlError, SqlState, typeName, type DataType } from '@freshet/common';

export const numericOutOfRange = () => new SqlError(SqlState.NumericValueOutOfRange, 'Numeric out of range');
export const divisionByZero = () => new SqlError(SqlState.DivisionByZero, 'Division by zero');
export const invalidParameter = (name: string, reason: string) =>
  new SqlError(SqlState.InvalidParameterValue, `Invalid parameter ${name}: ${reason}`);
export const invalidRegex = (reason: string) =>
  new SqlError(SqlState.InvalidRegularExpression, `Invalid parameter pattern: ${reason}`);

export function formatSignature(name: string, argTypes: readonly DataType[]): string {
  return `${name}(${argTypes.map(typeName).join(', ')})`;
}

export const undefinedFunction = (name: string, argTypes: readonly DataType[]) =>
  new SqlError(SqlState.UndefinedFunction, `function ${formatSignature(name, argTypes)} does not exist`, {
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
  });

export const ambiguousFunction = (name: string, argTypes: readonly DataType[]) =>
  new SqlError(SqlState.AmbiguousFunction, `function ${formatSignature(name, argTypes)} is not unique`, {
    hint: 'Could not choose a best candidate function. You might need to add explicit type casts.',
  });
