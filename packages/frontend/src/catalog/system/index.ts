/** pg_catalog, information_schema and rw_catalog as virtual tables, plus system functions. */
export { SYSTEM_TABLES, installSystemCatalog, systemRelationPlan, systemTableOf } from './registry';
export { isSystemFunction, resolveSystemFunction } from './functions';
export { bindRegCast, regTypeOf, type RegType } from './reg-cast';
export type { SessionActivity, SystemSessionInfo } from './session-info';
export { formatType, pgTypeByName, pgTypeByOid } from './type-info';
