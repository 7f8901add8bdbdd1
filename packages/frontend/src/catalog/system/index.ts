/** pg_catalog, information_schema and rw_catalog as virtual tables, plus system functions. */
export { SYSTEM_TABLES, installSystemCatalog, systemRelationPlan, systemTableOf } from './registry';
export { isSystemFunction, resolveSystemFunction } from './functions';
export { bindRegCast, regTypeOf, type RegType } from './reg-cast';
export type { SessionActivity, StreamingJobInfo, SystemSessionInfo } from './session-info';
export { formatJobProgress, streamingJobs } from './streaming-jobs';
export { formatType, pgTypeByName, pgTypeByOid } from './type-info';
export { internalSetting } from './pg-runtime';
