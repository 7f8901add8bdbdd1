/**
 * Drives the password exchange chosen from the engine's AuthRequirement. The connection
 * calls `start` once (writes the Authentication request), then `receive` for every 'p'
 * message until it returns true. Failures throw: SqlError 28P01 for a wrong password,
 * ProtocolError for a malformed exchange — both end the connection.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SqlError, SqlState } from '@freshet/common';
import type { BufferReader } from '../codec/buffer-reader';
import type { BufferWriter } from '../codec/buffer-writer';
import { writeAuthCleartext, writeAuthMd5, writeAuthSasl, writeAuthSaslContinue, writeAuthSaslFinal } from '../codec/backend-messages';
import { readPassword, readSaslInitialResponse } from '../codec/frontend-messages';
import { ProtocolError } from '../codec/protocol-error';
import type { AuthRequirement } from '../session';
import { md5PasswordHash, md5ResponseMatches } from './md5';
import { makeScramVerifier, parseScramVerifier, SCRAM_MECHANISM, ScramFormatError, ScramServer, scramVerifierMatches, type ScramVerifier } from './scram';

export type PasswordRequirement = Extract<AuthRequirement, { method: 'password' }>;
export type AuthMethod = 'scram-sha-256' | 'md5' | 'password';

export function passwordFailed(user: string): SqlError {
  return new SqlError(SqlState.InvalidPassword, `password authentication failed for user "${user}"`, { severity: 'FATAL' });
}

/** The exchange to ask for: the engine's preference if we can verify it, else the strongest possible. */
export function chooseAuthMethod(req: PasswordRequirement): AuthMethod {
  const canScram = (req.scramVerifier !== undefined && parseScramVerifier(req.scramVerifier) !== undefined) || req.plaintext !== undefined;
  const canMd5 = req.md5Hash !== undefined || req.plaintext !== undefined;
  const preferred = req.prefer ?? (req.scramVerifier !== undefined ? 'scram-sha-256' : req.md5Hash !== undefined ? 'md5' : 'password');
  if (preferred === 'password' || (preferred === 'scram-sha-256' && canScram) || (preferred === 'md5' && canMd5)) return preferred;
  return canScram ? 'scram-sha-256' : canMd5 ? 'md5' : 'password';
}

export class PasswordAuthenticator {
  readonly method: AuthMethod;
  private md5Salt: Buffer | null = null;
  private scram: ScramServer | null = null;
  private scramStep = 0;

  constructor(
    private readonly user: string,
    private readonly req: PasswordRequirement,
  ) {
    this.method = chooseAuthMethod(req);
  }

  start(w: BufferWriter): void {
    switch (this.method) {
      case 'scram-sha-256':
        writeAuthSasl(w, [SCRAM_MECHANISM]);
        break;
      case 'md5':
        this.md5Salt = randomBytes(4);
        writeAuthMd5(w, this.md5Salt);
        break;
      case 'password':
        writeAuthCleartext(w);
        break;
    }
  }

  /** Handles one 'p' message; true when authentication succeeded. */
  async receive(r: BufferReader, w: BufferWriter): Promise<boolean> {
    switch (this.method) {
      case 'password':
        if (!(await this.cleartextMatches(readPassword(r)))) throw passwordFailed(this.user);
        return true;
      case 'md5': {
        const hash = this.req.md5Hash ?? md5PasswordHash(this.user, this.req.plaintext!);
        if (!md5ResponseMatches(hash, this.md5Salt!, readPassword(r))) throw passwordFailed(this.user);
        return true;
      }
      case 'scram-sha-256':
        return this.scramReceive(r, w);
    }
  }

  private scramReceive(r: BufferReader, w: BufferWriter): boolean {
    try {
      if (this.scramStep === 0) {
        const init = readSaslInitialResponse(r);
        if (init.mechanism !== SCRAM_MECHANISM) {
          throw new ProtocolError(`client selected an invalid SASL authentication mechanism "${init.mechanism}"`);
        }
        this.scram = new ScramServer(this.scramVerifier());
        writeAuthSaslContinue(w, this.scram.first(init.data.toString('utf8')));
        this.scramStep = 1;
        return false;
      }
      const final = this.scram!.final(r.rest().toString('utf8'));
      if (final === null) throw passwordFailed(this.user);
      writeAuthSaslFinal(w, final);
      return true;
    } catch (e) {
      if (e instanceof ScramFormatError) throw new ProtocolError(e.message);
      throw e;
    }
  }

  private scramVerifier(): ScramVerifier {
    const stored = this.req.scramVerifier !== undefined ? parseScramVerifier(this.req.scramVerifier) : undefined;
    return stored ?? parseScramVerifier(makeScramVerifier(this.req.plaintext!))!;
  }

  private async cleartextMatches(password: string): Promise<boolean> {
    const { plaintext, md5Hash, scramVerifier } = this.req;
    if (plaintext !== undefined) {
      const a = Buffer.from(plaintext);
      const b = Buffer.from(password);
      return a.length === b.length && timingSafeEqual(a, b);
    }
    if (md5Hash !== undefined) return md5Hash === md5PasswordHash(this.user, password);
    const v = scramVerifier !== undefined ? parseScramVerifier(scramVerifier) : undefined;
    return v !== undefined && (await scramVerifierMatches(v, password));
  }
}
