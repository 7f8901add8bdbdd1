/**
 * SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL speaks it: no channel binding (gs2
 * flag 'n', or 'y' from a client that could bind but sees we don't offer -PLUS), the
 * username in the SCRAM exchange is ignored (the startup packet's user counts), and the
 * stored verifier has PostgreSQL's format so users can be migrated both ways:
 * `SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>`.
 *
 * Passwords are used as UTF-8 without SASLprep normalisation; PostgreSQL does the same
 * when SASLprep fails, and ASCII passwords are unaffected either way.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';
const pbkdf2Async = promisify(pbkdf2);

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, data: string | Buffer) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

function keysFromSalted(salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  return { storedKey: sha256(hmac(salted, 'Client Key')), serverKey: hmac(salted, 'Server Key') };
}

function formatVerifier(v: ScramVerifier): string {
  return `${SCRAM_MECHANISM}$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}`;
}

/** Builds a PostgreSQL-format SCRAM-SHA-256 verifier for a password (for CREATE USER … PASSWORD). */
export function makeScramVerifier(password: string, iterations = 4096): string {
  return scramVerifierWithSalt(password, randomBytes(16), iterations);
}

/** Deterministic form of makeScramVerifier (known salt), for tests and migrations. */
export function scramVerifierWithSalt(password: string, salt: Buffer, iterations: number): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  return formatVerifier({ iterations, salt, ...keysFromSalted(salted) });
}

/** Parses a stored verifier; undefined if it is not a well-formed SCRAM-SHA-256 verifier. */
export function parseScramVerifier(s: string): ScramVerifier | undefined {
  const m = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(s);
  if (!m) return undefined;
  const iterations = Number(m[1]);
  const storedKey = Buffer.from(m[3], 'base64');
  const serverKey = Buffer.from(m[4], 'base64');
  if (!(iterations > 0) || storedKey.length !== 32 || serverKey.length !== 32) return undefined;
  return { iterations, salt: Buffer.from(m[2], 'base64'), storedKey, serverKey };
}

/** Checks a cleartext password against a verifier (used when the client sent cleartext). */
export async function scramVerifierMatches(v: ScramVerifier, password: string): Promise<boolean> {
  const salted = await pbkdf2Async(Buffer.from(password, 'utf8'), v.salt, v.iterations, 32, 'sha256');
  return timingSafeEqual(keysFromSalted(salted).storedKey, v.storedKey);
}

/** Thrown for a malformed SCRAM message (the connection then fails with 08P01). */
export class ScramFormatError extends Error {}

/**
 * Server side of one SCRAM exchange: `first()` consumes client-first-message and returns
 * server-first-message; `final()` consumes client-final-message and returns the
 * server-final-message, or null when the proof is wrong.
 */
export class ScramServer {
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private nonce = '';

  /** `serverNonce` is only fixed by tests (RFC test vectors); normally it is random. */
  constructor(
    private readonly verifier: ScramVerifier,
    private readonly serverNonce = randomBytes(18).toString('base64'),
  ) {}

  first(clientFirst: string): string {
    // gs2-header: cbind-flag "," [authzid] ","
    const c1 = clientFirst.indexOf(',');
    const c2 = c1 < 0 ? -1 : clientFirst.indexOf(',', c1 + 1);
    if (c2 < 0) throw new ScramFormatError('malformed SCRAM message: missing gs2 header');
    const flag = clientFirst.slice(0, c1);
    if (flag.startsWith('p')) throw new ScramFormatError('channel binding is not supported');
    if (flag !== 'n' && flag !== 'y') throw new ScramFormatError(`malformed SCRAM message: invalid channel binding flag "${flag}"`);
    this.gs2Header = clientFirst.slice(0, c2 + 1);
    this.clientFirstBare = clientFirst.slice(c2 + 1);
    const attrs = parseAttributes(this.clientFirstBare);
    const clientNonce = attrs.get('r');
    if (!clientNonce || !attrs.has('n')) throw new ScramFormatError('malformed SCRAM message: missing nonce or username');
    this.nonce = clientNonce + this.serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString('base64')},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  final(clientFinal: string): string | null {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramFormatError('malformed SCRAM message: missing proof');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = parseAttributes(withoutProof);
    const binding = attrs.get('c');
    if (binding === undefined || Buffer.from(binding, 'base64').toString('latin1') !== this.gs2Header) {
      throw new ScramFormatError('SCRAM channel binding check failed');
    }
    if (attrs.get('r') !== this.nonce) throw new ScramFormatError('SCRAM nonce does not match');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    if (proof.length !== 32) throw new ScramFormatError('malformed SCRAM message: invalid proof');

    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.verifier.storedKey, authMessage);
    const clientKey = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) clientKey[i] = proof[i] ^ clientSignature[i];
    if (!timingSafeEqual(sha256(clientKey), this.verifier.storedKey)) return null;
    return `v=${hmac(this.verifier.serverKey, authMessage).toString('base64')}`;
  }
}

function parseAttributes(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) m.set(part[0], part.slice(2));
  }
  return m;
}
