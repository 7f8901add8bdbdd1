import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chooseAuthMethod } from './authenticator';
import { md5PasswordHash, md5ResponseMatches, md5SaltedResponse } from './md5';
import { makeScramVerifier, parseScramVerifier, scramVerifierMatches, scramVerifierWithSalt, ScramFormatError, ScramServer } from './scram';

// RFC 7677 section 3 test vector (user "user", password "pencil").
const RFC = {
  salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('SCRAM-SHA-256', () => {
  const verifier = parseScramVerifier(scramVerifierWithSalt('pencil', Buffer.from(RFC.salt, 'base64'), 4096))!;

  it('reproduces the RFC 7677 exchange', () => {
    const server = new ScramServer(verifier, RFC.serverNonce);
    expect(server.first(RFC.clientFirst)).toBe(RFC.serverFirst);
    expect(server.final(RFC.clientFinal)).toBe(RFC.serverFinal);
  });

  it('rejects a wrong proof, a wrong nonce and channel binding', () => {
    const server = new ScramServer(verifier, RFC.serverNonce);
    server.first(RFC.clientFirst);
    expect(server.final(RFC.clientFinal.replace('p=dHzb', 'p=eHzb'))).toBeNull();
    expect(() => server.final(RFC.clientFinal.replace('r=rOpr', 'r=xOpr'))).toThrow(ScramFormatError);
    expect(() => new ScramServer(verifier).first('p=tls-server-end-point,,n=,r=abc')).toThrow(/channel binding/);
    expect(() => new ScramServer(verifier).first('garbage')).toThrow(ScramFormatError);
  });

  it('makes verifiers in PostgreSQL format', () => {
    const v = makeScramVerifier('secret');
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(makeScramVerifier('secret')).not.toBe(v); // random salt
    expect(parseScramVerifier(makeScramVerifier('x', 10))?.iterations).toBe(10);
    expect(parseScramVerifier('md5abc')).toBeUndefined();
  });

  it('checks cleartext passwords against a verifier', async () => {
    expect(await scramVerifierMatches(verifier, 'pencil')).toBe(true);
    expect(await scramVerifierMatches(verifier, 'Pencil')).toBe(false);
  });
});

describe('MD5', () => {
  it('hashes like PostgreSQL', () => {
    const expected = 'md5' + createHash('md5').update('secretalice').digest('hex');
    expect(md5PasswordHash('alice', 'secret')).toBe(expected);
    // Well-known value of md5 password "postgres" for user "postgres".
    expect(md5PasswordHash('postgres', 'postgres')).toBe('md53175bce1d3201d16594cebf9d7eb3f9d');
  });

  it('checks salted responses', () => {
    const hash = md5PasswordHash('bob', 'pw');
    const salt = Buffer.from([1, 2, 3, 4]);
    expect(md5ResponseMatches(hash, salt, md5SaltedResponse(hash, salt))).toBe(true);
    expect(md5ResponseMatches(hash, Buffer.from([1, 2, 3, 5]), md5SaltedResponse(hash, salt))).toBe(false);
    expect(md5ResponseMatches(hash, salt, 'md5')).toBe(false);
  });
});

describe('chooseAuthMethod', () => {
  const scram = makeScramVerifier('p', 16);
  it('defaults to the strongest exchange the stored credentials allow', () => {
    expect(chooseAuthMethod({ method: 'password', scramVerifier: scram, md5Hash: 'md5x' })).toBe('scram-sha-256');
    expect(chooseAuthMethod({ method: 'password', md5Hash: 'md5x' })).toBe('md5');
    expect(chooseAuthMethod({ method: 'password', plaintext: 'p' })).toBe('password');
  });
  it('honours a feasible preference and falls back from an infeasible one', () => {
    expect(chooseAuthMethod({ method: 'password', scramVerifier: scram, prefer: 'password' })).toBe('password');
    expect(chooseAuthMethod({ method: 'password', plaintext: 'p', prefer: 'md5' })).toBe('md5');
    expect(chooseAuthMethod({ method: 'password', md5Hash: 'md5x', prefer: 'scram-sha-256' })).toBe('md5');
    expect(chooseAuthMethod({ method: 'password', scramVerifier: scram, prefer: 'md5' })).toBe('scram-sha-256');
  });
});
