/**
 * @freshet/pgwire — the PostgreSQL wire protocol server. Depends only on @freshet/common;
 * the engine plugs in through the Session / SessionManager interfaces.
 */
export * from './session';
export { startPgServer, type PgServer, type PgServerOptions } from './server';
export { makeScramVerifier, parseScramVerifier } from './auth/scram';
export { md5PasswordHash } from './auth/md5';
export { ProtocolError } from './codec/protocol-error';
export { bindParamsOf } from './codec/frontend-messages';
