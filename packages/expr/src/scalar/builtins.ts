/** Every built-in scalar definition, gathered from the family files. */
import type { ScalarDef } from './def';
import { arithmeticFunctions } from './arithmetic';
import { arrayFunctions } from './array';
import { arrayCompareFunctions } from './array-compare';
import { comparisonFunctions } from './comparison';
import { datetimeFunctions } from './datetime';
import { jsonFunctions } from './json';
import { logicalFunctions } from './logical';
import { mathFunctions } from './math';
import { miscFunctions } from './misc';
import { regexFunctions } from './regex-functions';
import { stringFunctions } from './string';

/**
 * Order matters only among signatures that instantiate identically (see overload.ts
 * dedupe): concrete families come before polymorphic ones.
 */
export function builtinScalars(): ScalarDef[] {
  return [
    ...logicalFunctions,
    ...comparisonFunctions,
    ...arithmeticFunctions,
    ...stringFunctions,
    ...regexFunctions,
    ...datetimeFunctions,
    ...mathFunctions,
    ...jsonFunctions,
    ...arrayFunctions,
    ...arrayCompareFunctions,
    ...miscFunctions,
  ];
}
