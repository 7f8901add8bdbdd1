export { freePort, portAccepts, sleep } from './ports';
export { ProcessLog } from './process-log';
export { startPostgres, postgresBinDir, type PostgresServer, type PostgresOptions } from './postgres';
export { startFreshet, repoRoot, type FreshetServer, type FreshetOptions } from './freshet';
export { startTestTarget, targetKind, type TestTarget, type TargetKind } from './target';
export { ensurePackages, hasCommand } from './provision';
