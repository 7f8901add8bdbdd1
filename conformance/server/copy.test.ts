/**
 * COPY over the wire against a real running server, with the clients people bulk-load
 * with: node-postgres + pg-copy-streams, psql's `\copy`, and raw protocol messages
 * (extended protocol, Sync inside COPY, CopyFail, a connection dropped mid-COPY).
 * Malformed input fails the whole COPY with PostgreSQL's SQLSTATE and CONTEXT line, leaves
 * nothing visible (in the table or the MVs over it), and the connection stays usable.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { serialize } from 'pg-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, isError, RawPgClient, startFreshet, type FreshetServer } from '@freshet/testkit';
import { assertServerAlive } from './health';

let server: FreshetServer;
let client: pg.Client;

const rows = async (sql: string) => (await client.query({ text: sql, rowMode: 'array' })).rows.map((r: unknown[]) => r.map((v) => (v === null ? null : String(v))));

/** COPY FROM STDIN with the payloads sent as given (each its own CopyData); resolves to the row count. */
async function copyIn(c: pg.Client, sql: string, payloads: (string | Buffer)[]): Promise<number> {
  const stream = c.query(copyFrom(sql));
  await pipeline(Readable.from(payloads.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))), stream);
  return stream.rowCount;
}

async function copyOut(c: pg.Client, sql: string): Promise<string> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      parts.push(chunk);
      done();
    },
  });
  await pipeline(c.query(copyTo(sql)), sink);
  return Buffer.concat(parts).toString('utf8');
}

async function copyError(sql: string, payloads: string[]): Promise<{ code?: string; message: string; where?: string }> {
  try {
    await copyIn(client, sql, payloads);
  } catch (e) {
    return e as { code?: string; message: string; where?: string };
  }
  throw new Error(`${sql} unexpectedly succeeded`);
}

beforeAll(async () => {
  server = await startFreshet({ playground: true });
  client = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
  client.on('error', () => {});
  await client.connect();
  await client.query('CREATE TABLE ev (user_id BIGINT, kind VARCHAR, ts TIMESTAMPTZ, amount NUMERIC)');
  await client.query('CREATE MATERIALIZED VIEW ev_counts AS SELECT user_id, count(*) AS n FROM ev GROUP BY user_id');
});

afterEach(() => assertServerAlive(server));

afterAll(async () => {
  await client?.end();
  await server?.stop();
});

describe('COPY FROM STDIN (pg-copy-streams)', () => {
  it('loads text format, split anywhere across CopyData (even inside a UTF-8 character), into the table and its MV', async () => {
    const data = Buffer.from('1\tclick\t2024-01-01 00:00:00+00\t1.50\n1\tvi€w\t2024-01-01 00:00:01+00\t\\N\n2\t\\N\t\\N\t3\n');
    const cuts = [3, 17, 38, 39, 40, 55];
    const pieces: Buffer[] = [];
    let at = 0;
    for (const c of cuts) {
      pieces.push(data.subarray(at, c));
      at = c;
    }
    pieces.push(data.subarray(at));
    expect(await copyIn(client, 'COPY ev FROM STDIN', pieces)).toBe(3);
    expect(await rows('SELECT user_id, kind, ts, amount FROM ev ORDER BY user_id, ts')).toEqual([
      ['1', 'click', expect.stringContaining('2024'), '1.50'],
      ['1', 'vi€w', expect.stringContaining('2024'), null],
      ['2', null, null, '3'],
    ]);
    await client.query('FLUSH');
    expect(await rows('SELECT user_id, n FROM ev_counts ORDER BY user_id')).toEqual([
      ['1', '2'],
      ['2', '1'],
    ]);
  });

  it('text format escapes, a column list (missing columns NULL), CRLF line ends and the \\. end marker', async () => {
    await client.query('CREATE TABLE esc (a INT, b VARCHAR, c VARCHAR)');
    const n = await copyIn(client, 'COPY esc (a, b) FROM STDIN', ['1\ttab\\there\r\n', '2\tback\\\\slash \\x41\\102\n', '3\tnew\\nline\n\\.\n', 'ignored after the end marker\n']);
    expect(n).toBe(3);
    expect(await rows('SELECT a, b, c FROM esc ORDER BY a')).toEqual([
      ['1', 'tab\there', null],
      ['2', 'back\\slash AB', null],
      ['3', 'new\nline', null],
    ]);
  });

  it('CSV with HEADER, quotes, embedded delimiters, quotes and line breaks, NULL vs empty string, custom DELIMITER/NULL', async () => {
    await client.query('CREATE TABLE csvt (a INT, b VARCHAR)');
    const n = await copyIn(client, "COPY csvt FROM STDIN WITH (FORMAT csv, HEADER true)", ['a,b\n1,"x,y"\n2,"multi\nli', 'ne ""q"""\n3,\n4,""\n']);
    expect(n).toBe(4);
    expect(await rows('SELECT a, b, b IS NULL FROM csvt ORDER BY a')).toEqual([
      ['1', 'x,y', 'false'],
      ['2', 'multi\nline "q"', 'false'],
      ['3', null, 'true'],
      ['4', '', 'false'],
    ]);
    expect(await copyIn(client, "COPY csvt FROM STDIN WITH (FORMAT csv, DELIMITER ';', NULL 'none')", ['5;none\n6;""\n'])).toBe(2);
    expect(await rows('SELECT a, b IS NULL FROM csvt WHERE a >= 5 ORDER BY a')).toEqual([
      ['5', 'true'],
      ['6', 'false'],
    ]);
  });

  it('a bad value fails the whole COPY with 22P02 and CONTEXT "COPY t, line N, column c"; nothing is visible, the connection is usable', async () => {
    const before = await rows('SELECT count(*) FROM ev');
    const e = await copyError('COPY ev FROM STDIN', ['7\tclick\t\\N\t1\n', '7\tclick\t\\N\t2\n', 'x7\tclick\t\\N\t3\n']);
    expect(e.code).toBe('22P02');
    expect(e.message).toContain('x7');
    expect(e.where).toBe('COPY ev, line 3, column user_id: "x7"');
    expect(await rows('SELECT count(*) FROM ev')).toEqual(before);
    await client.query('FLUSH');
    expect(await rows('SELECT count(*) FROM ev_counts WHERE user_id = 7')).toEqual([['0']]);
  });

  it('wrong column counts are 22P04 with the line in CONTEXT', async () => {
    const extra = await copyError('COPY ev (user_id, kind) FROM STDIN', ['1\ta\n', '2\tb\tc\n']);
    expect([extra.code, extra.message, extra.where]).toEqual(['22P04', 'extra data after last expected column', 'COPY ev, line 2: "2\tb\tc"']);
    const missing = await copyError('COPY ev (user_id, kind) FROM STDIN WITH (FORMAT csv)', ['1,a\n2\n']);
    expect([missing.code, missing.message, missing.where]).toEqual(['22P04', 'missing data for column "kind"', 'COPY ev, line 2: "2"']);
    const quote = await copyError('COPY ev (user_id, kind) FROM STDIN WITH (FORMAT csv)', ['1,"open\n']);
    expect([quote.code, quote.message]).toEqual(['22P04', 'unterminated CSV quoted field']);
    expect(await rows('SELECT 1')).toEqual([['1']]);
  });

  it('CopyFail from the client (the input stream errors) aborts the COPY: 57014, nothing visible, connection usable', async () => {
    const before = await rows('SELECT count(*) FROM ev');
    const stream = client.query(copyFrom('COPY ev FROM STDIN'));
    const failed = new Promise<{ code?: string; message: string }>((resolve) => stream.on('error', resolve));
    stream.write('9\tclick\t\\N\t1\n');
    await new Promise((r) => setTimeout(r, 50));
    stream.destroy(new Error('client gave up'));
    const e = await failed;
    // pg-copy-streams reports the server's answer to its CopyFail.
    expect(e.message).toMatch(/client gave up|COPY from stdin failed/);
    expect(await rows('SELECT count(*) FROM ev')).toEqual(before);
    expect(await rows('SELECT count(*) FROM ev WHERE user_id = 9')).toEqual([['0']]);
  });

  it('a repeated COPY statement follows DDL: a re-created table with other columns, a dropped table', async () => {
    await client.query('CREATE TABLE again (a INT)');
    expect(await copyIn(client, 'COPY again FROM STDIN', ['1\n'])).toBe(1);
    expect(await copyIn(client, 'COPY again FROM STDIN', ['2\n'])).toBe(1);
    await client.query('DROP TABLE again');
    await client.query('CREATE TABLE again (a INT, b VARCHAR)');
    expect(await copyIn(client, 'COPY again FROM STDIN', ['3\tx\n'])).toBe(1);
    expect(await rows('SELECT a, b FROM again')).toEqual([['3', 'x']]);
    await client.query('DROP TABLE again');
    expect((await copyError('COPY again FROM STDIN', ['4\n'])).code).toBe('42P01');
  });

  it('integers: plain digits, signs, spaces and out-of-range values as the input functions treat them', async () => {
    await client.query('CREATE TABLE ints (a SMALLINT, b INT, c BIGINT)');
    expect(await copyIn(client, 'COPY ints FROM STDIN', ['-5\t+7\t 9007199254740993\n', '32767\t-2147483648\t-9223372036854775808\n'])).toBe(2);
    expect(await rows('SELECT a, b, c FROM ints ORDER BY a')).toEqual([
      ['-5', '7', '9007199254740993'],
      ['32767', '-2147483648', '-9223372036854775808'],
    ]);
    const e = await copyError('COPY ints FROM STDIN', ['32768\t1\t1\n']);
    expect([e.code, e.where]).toEqual(['22003', 'COPY ints, line 1, column a: "32768"']);
  });

  it('rejects what COPY cannot do here with SQLSTATEs', async () => {
    const err = async (sql: string) => (await client.query(sql).catch((e) => e)) as { code?: string; message: string };
    expect((await err("COPY ev FROM '/etc/passwd'")).code).toBe('0A000');
    expect((await err('COPY ev_counts FROM STDIN')).code).toBe('42809');
    expect((await err('COPY nosuch FROM STDIN')).code).toBe('42P01');
    expect((await err('COPY ev (user_id, nope) FROM STDIN')).code).toBe('42703');
    expect((await err('COPY ev (user_id, user_id) FROM STDIN')).code).toBe('42701');
    expect((await err('COPY ev FROM STDIN WITH (FORMAT binary)')).code).toBe('0A000');
    expect(await rows('SELECT 1')).toEqual([['1']]);
  });
});

describe('COPY TO STDOUT', () => {
  it('a table in text format (escapes, \\N) and a query in CSV with a header', async () => {
    await client.query('CREATE TABLE outt (a INT, b VARCHAR)');
    await client.query("INSERT INTO outt VALUES (1, 'x\ty'), (2, NULL), (3, 'q\"uote,comma')");
    await client.query('FLUSH');
    const text = (await copyOut(client, 'COPY outt TO STDOUT')).split('\n').filter(Boolean).sort();
    expect(text).toEqual(['1\tx\\ty', '2\t\\N', '3\tq"uote,comma']);
    expect(await copyOut(client, 'COPY (SELECT a, b FROM outt ORDER BY a) TO STDOUT WITH (FORMAT csv, HEADER)')).toBe('a,b\n1,x\ty\n2,\n3,"q""uote,comma"\n');
    expect(await copyOut(client, 'COPY outt (b) TO STDOUT WITH CSV')).toContain('"q""uote,comma"');
  });
});

describe('COPY over raw protocol messages', () => {
  it('extended protocol: Parse/Bind/Execute of COPY, Flush and Sync inside the COPY are ignored', async () => {
    const raw = await RawPgClient.connect(server.port, server.host);
    try {
      await raw.startup();
      raw.send(serialize.query('CREATE TABLE rawt (a INT)'));
      await raw.untilReady();
      raw.send(serialize.parse({ text: 'COPY rawt FROM STDIN' }), serialize.bind({}), serialize.execute({}), serialize.flush());
      const start = await raw.until((m) => m.name === 'copyInResponse');
      expect(start.map((m) => m.name)).toEqual(['parseComplete', 'bindComplete', 'copyInResponse']);
      raw.send(serialize.copyData(Buffer.from('1\n2')), serialize.flush(), serialize.copyData(Buffer.from('\n3\n')), serialize.copyDone(), serialize.sync());
      const done = await raw.untilReady();
      expect(done.map((m) => (m.name === 'commandComplete' ? (m as unknown as { text: string }).text : m.name))).toEqual(['COPY 3', 'readyForQuery']);
      raw.send(serialize.query('SELECT count(*) FROM rawt'));
      const out = await raw.untilReady();
      expect(out.find((m) => m.name === 'dataRow')).toMatchObject({ fields: ['3'] });
    } finally {
      raw.close();
    }
  });

  it('an unexpected message during COPY fails it with 08P01; the rest of the COPY data is ignored', async () => {
    const raw = await RawPgClient.connect(server.port, server.host);
    try {
      await raw.startup();
      raw.send(serialize.query('CREATE TABLE rawt2 (a INT)'));
      await raw.untilReady();
      raw.send(serialize.query('COPY rawt2 FROM STDIN'));
      await raw.until((m) => m.name === 'copyInResponse');
      raw.send(serialize.copyData(Buffer.from('1\n')), serialize.query('SELECT 1'));
      const msgs = await raw.untilReady();
      const err = msgs.find(isError);
      expect(err?.code).toBe('08P01');
      raw.send(serialize.copyData(Buffer.from('2\n')), serialize.copyDone(), serialize.query('SELECT count(*) FROM rawt2'));
      const out = await raw.untilReady();
      expect(out.find((m) => m.name === 'dataRow')).toMatchObject({ fields: ['0'] });
    } finally {
      raw.close();
    }
  });

  it('a connection dropped mid-COPY leaves nothing behind', async () => {
    await client.query('CREATE TABLE dropt (a INT)');
    const raw = await RawPgClient.connect(server.port, server.host);
    await raw.startup();
    raw.send(serialize.query('COPY dropt FROM STDIN'));
    await raw.until((m) => m.name === 'copyInResponse');
    raw.send(serialize.copyData(Buffer.from('1\n2\n')));
    await raw.settle(50);
    raw.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await rows('SELECT count(*) FROM dropt')).toEqual([['0']]);
  });
});

describe.skipIf(!hasCommand('psql'))('psql \\copy', () => {
  const psql = (...args: string[]) =>
    spawnSync('psql', ['-X', '-h', server.host, '-p', String(server.port), '-U', 'root', '-d', 'dev', '-v', 'ON_ERROR_STOP=1', ...args], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: '', PGCONNECT_TIMEOUT: '10' },
    });

  it('loads a CSV file and writes a table back out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-copy-'));
    const file = join(dir, 'in.csv');
    writeFileSync(file, 'id,name\n1,alice\n2,"bob, jr"\n3,\n');
    let r = psql('-c', 'CREATE TABLE people (id INT, name VARCHAR)');
    expect(r.status, r.stderr).toBe(0);
    r = psql('-c', `\\copy people FROM '${file}' WITH (FORMAT csv, HEADER)`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('COPY 3');
    r = psql('-c', '\\copy (SELECT id, name FROM people ORDER BY id) TO STDOUT WITH CSV');
    expect(r.stdout).toBe('1,alice\n2,"bob, jr"\n3,\n');
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, '4\tdan\nfive\teve\n');
    r = psql('-c', `\\copy people FROM '${bad}'`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('invalid input syntax for type integer: "five"');
    expect(r.stderr).toContain('CONTEXT:  COPY people, line 2, column id: "five"');
    r = psql('-At', '-c', 'SELECT count(*) FROM people');
    expect(r.stdout.trim()).toBe('3');
  });
});
