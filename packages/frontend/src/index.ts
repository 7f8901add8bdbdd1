export { Frontend, type FrontendOptions } from './session/session-manager';
export { FrontendSession } from './session/session';
export { SessionConfig } from './session/config';
export { Catalog } from './catalog/catalog';
/** An in-process node driven with SQL text (tests, and bench tools that measure without pgwire). */
export { type TestDb, type TestNodeOptions, openTestDb } from './query/testing';
