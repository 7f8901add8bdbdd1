/**
 * PostgreSQL's legacy MD5 password scheme. The stored hash is `md5` + md5(password +
 * user); on the wire the client proves knowledge of it with `md5` + md5(hex + salt) for
 * a random 4-byte salt per connection.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const md5Hex = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

/** The stored form: `md5` + md5(password + user). */
export function md5PasswordHash(user: string, password: string): string {
  return 'md5' + md5Hex(Buffer.from(password + user, 'utf8'));
}

/** What a client sends for a stored hash and salt. */
export function md5SaltedResponse(storedHash: string, salt: Uint8Array): string {
  return 'md5' + md5Hex(Buffer.concat([Buffer.from(storedHash.slice(3), 'latin1'), salt]));
}

export function md5ResponseMatches(storedHash: string, salt: Uint8Array, response: string): boolean {
  const expected = Buffer.from(md5SaltedResponse(storedHash, salt));
  const got = Buffer.from(response);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
