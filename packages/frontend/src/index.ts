export { Frontend, type FrontendOptions } from './session/session-manager';
export { FrontendSession } from './session/session';
export { SessionConfig } from './session/config';
export { Catalog } from './catalog/catalog';
