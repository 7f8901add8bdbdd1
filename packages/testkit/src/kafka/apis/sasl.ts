import { ErrorCode } from '../protocol/constants';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

/** SaslHandshake v1: PLAIN is the one mechanism offered. */
export function handleSaslHandshake(ctx: RequestContext, r: Reader, w: Writer): void {
  const mechanism = r.string();
  const ok = mechanism === 'PLAIN' && ctx.state.config.saslUsers !== undefined;
  if (ok) ctx.session.mechanism = mechanism;
  w.int16(ok ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_SASL_MECHANISM).array(ctx.state.config.saslUsers ? ['PLAIN'] : [], (x, m) => x.string(m));
}

/** SaslAuthenticate v0–v1 carrying a PLAIN token (`authzid \0 user \0 password`). */
export function handleSaslAuthenticate(ctx: RequestContext, r: Reader, w: Writer): void {
  const token = r.bytes() ?? Buffer.alloc(0);
  const users = ctx.state.config.saslUsers;
  let error: number = ErrorCode.NONE;
  let message: string | null = null;
  if (ctx.session.mechanism !== 'PLAIN' || !users) {
    error = ErrorCode.ILLEGAL_SASL_STATE;
    message = 'SaslAuthenticate before a PLAIN SaslHandshake';
  } else {
    const [, user, password] = token.toString('utf8').split('\0');
    if (user !== undefined && users.get(user) === password) {
      ctx.session.authenticated = true;
      ctx.session.user = user;
    } else {
      error = ErrorCode.SASL_AUTHENTICATION_FAILED;
      message = 'Authentication failed: Invalid username or password';
    }
  }
  w.int16(error).string(message).bytes(Buffer.alloc(0));
  if (ctx.version >= 1) w.int64(0); // session_lifetime_ms: no re-authentication required
}
