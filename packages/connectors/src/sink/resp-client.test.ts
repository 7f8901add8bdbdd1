/**
 * The sink's RESP client against a real redis-server started here with `--requirepass`
 * (testkit's Redis has no password option): AUTH with and without a user, SELECT, error
 * replies, a connection the server kills. The server is stopped by its own PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { T, Op } from '@freshet/common';
import { freePort, portAccepts, redisServerBinary, sleep } from '@freshet/testkit';
import { RespClient, parseRedisUrl } from './resp-client';
import { RespError, encodeCommand } from './resp';
import { RedisSinkTarget, redisSinkConfig } from './redis';
import { chunkOf, sinkSpec, testContext } from './test-util';
import type { SinkColumn } from './api';

const PASSWORD = 'sëcret pw';
let server: ChildProcess;
let port: number;
let admin: Redis;
const url = (auth: string, db = '') => `redis://${auth}127.0.0.1:${port}${db}`;
const withPassword = () => url(`:${encodeURIComponent(PASSWORD)}@`);

beforeAll(async () => {
  port = await freePort();
  server = spawn(redisServerBinary(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !(await portAccepts(port)); i++) await sleep(25);
  admin = new Redis({ port, host: '127.0.0.1', password: PASSWORD, protocol: 2 } as never);
  admin.on('error', () => {});
  await admin.acl('SETUSER', 'writer', 'on', '>writer-pw', '~*', '+@all');
});
afterAll(() => {
  admin?.disconnect();
  server?.kill('SIGKILL');
});

describe('parseRedisUrl', () => {
  it('reads host, port, credentials, database and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380, tls: false, username: undefined, password: undefined, db: 0 });
    expect(parseRedisUrl('rediss://u:p%40ss@cache.example:7000/4')).toEqual({ host: 'cache.example', port: 7000, tls: true, username: 'u', password: 'p@ss', db: 4 });
    expect(parseRedisUrl('redis://:pw@[::1]')).toMatchObject({ host: '::1', port: 6379, username: undefined, password: 'pw' });
    expect(() => parseRedisUrl('redis://h:1/x')).toThrow(/database "x"/);
  });
});

describe('RespClient', () => {
  it('AUTH with a password, with a user, and a refused password', async () => {
    const c = new RespClient(withPassword());
    await c.connect();
    expect(await c.call('PING')).toBe('PONG');
    c.close();

    const u = new RespClient(url('writer:writer-pw@'));
    await u.connect();
    expect(await u.call('ACL', 'WHOAMI')).toBe('writer');
    u.close();

    const bad = new RespClient(url(':wrong@'));
    await expect(bad.connect()).rejects.toThrow(/WRONGPASS|invalid password/);
    expect(bad.connected).toBe(false);
  });

  it('without AUTH every command fails with the server NOAUTH error', async () => {
    const c = new RespClient(url(''));
    await c.connect();
    await expect(c.call('SET', 'k', 'v')).rejects.toThrow(/^NOAUTH Authentication required/);
    c.close();
  });

  it('an error reply fails the batch with its message; the connection stays in step', async () => {
    const c = new RespClient(withPassword());
    await c.connect();
    const batch = Buffer.concat([['SET', 'wt', '1'], ['LPUSH', 'wt', 'x'], ['SET', 'after', '2']].map(encodeCommand));
    const err = await c.send(batch, 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RespError);
    expect((err as Error).message).toMatch(/^WRONGTYPE Operation against a key holding the wrong kind of value/);
    // Every reply of the batch was read: the commands after the error ran, and the next reply is the next command's.
    expect(await c.call('GET', 'after')).toBe('2');
    expect(await c.call('GET', 'wt')).toBe('1');
    c.close();
  });

  it('a dropped connection fails what is in flight; connect() opens a new one', async () => {
    const c = new RespClient(withPassword());
    await c.connect();
    const id = await c.call('CLIENT', 'ID');
    // BLPOP holds the command in flight until the kill. Its expectation is attached now: the
    // rejection can arrive before CLIENT KILL's own reply, and must not go unhandled meanwhile.
    const failed = expect(c.call('BLPOP', 'never', '5')).rejects.toThrow(/closed/);
    await sleep(50);
    await admin.client('KILL', 'ID', String(id));
    await failed;
    expect(c.connected).toBe(false);
    await expect(c.call('PING')).rejects.toThrow(/not connected/);
    await c.connect();
    expect(await c.call('PING')).toBe('PONG');
    c.close();
    await expect(c.connect()).rejects.toThrow(/closed/);
  });

  it('an unreachable server rejects connect', async () => {
    const c = new RespClient(`redis://127.0.0.1:${await freePort()}`);
    await expect(c.connect()).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('redis sink over the RESP client', () => {
  const cols: SinkColumn[] = [
    { name: 'id', type: T.Int64 },
    { name: 'label', type: T.Varchar },
  ];
  const target = (redisUrl: string) =>
    new RedisSinkTarget(redisSinkConfig(sinkSpec('redis', cols, { options: { 'redis.url': redisUrl, primary_key: 'id' } })), 's1', cols.length, testContext(), { initialMs: 20, maxMs: 200 });

  it('SELECTs the URL database: the keys land there', async () => {
    await admin.flushall();
    const t = target(url(`:${encodeURIComponent(PASSWORD)}@`, '/3'));
    t.write(chunkOf(cols, [[Op.Insert, [1n, 'a']]]));
    await t.commit(1);
    expect(await admin.dbsize()).toBe(0);
    await admin.select(3);
    expect(await admin.get('{"id":1}')).toBe('{"id":1,"label":"a"}');
    await admin.select(0);
    await t.close();
  });

  it('writes non-ASCII keys and values, and values over 64 KiB', async () => {
    await admin.flushall();
    const t = target(withPassword());
    const big = 'ü東🚀'.repeat(20_000) + '"\\\n';
    const rows: [Op, unknown[]][] = [
      [Op.Insert, [1n, 'zürich']],
      [Op.Insert, [2n, big]],
      [Op.Insert, [3n, 'x'.repeat(70_000)]],
    ];
    t.write(chunkOf(cols, rows as never));
    await t.commit(1);
    expect(await admin.get('{"id":1}')).toBe('{"id":1,"label":"zürich"}');
    expect(JSON.parse((await admin.get('{"id":2}'))!).label).toBe(big);
    expect(JSON.parse((await admin.get('{"id":3}'))!).label).toHaveLength(70_000);
    await t.close();
  });

  it('a connection killed while a batch is in flight fails it; the retry reconnects and the keys converge', async () => {
    await admin.flushall();
    const t = target(withPassword());
    t.write(chunkOf(cols, [[Op.Insert, [1n, 'one']]]));
    await t.commit(1);
    const ids = (await admin.client('LIST')) as string;
    const adminId = String(await admin.client('ID'));
    const sinkIds = ids.split('\n').flatMap((l) => /^id=(\d+)/.exec(l)?.[1] ?? []).filter((id) => id !== adminId);
    expect(sinkIds).toHaveLength(1);
    // Writes paused: the MSET waits in Redis while its connection is killed.
    await admin.client('PAUSE', '400', 'WRITE');
    t.write(chunkOf(cols, [[Op.Insert, [2n, 'two']], [Op.UpdateDelete, [1n, 'one']], [Op.UpdateInsert, [1n, 'uno']]]));
    const committing = t.commit(2);
    await sleep(100);
    await admin.client('KILL', 'ID', sinkIds[0]);
    await committing;
    expect(t.stats.errors).toBeGreaterThanOrEqual(1);
    expect(t.stats.lastError).toMatch(/closed/);
    expect(await admin.mget('{"id":1}', '{"id":2}')).toEqual(['{"id":1,"label":"uno"}', '{"id":2,"label":"two"}']);
    await t.close();
  });

  it('an error reply fails the delivery and is retried with the server message', async () => {
    const t = target(url('')); // no password: NOAUTH
    t.write(chunkOf(cols, [[Op.Insert, [1n, 'x']]]));
    void t.commit(1);
    for (let i = 0; i < 100 && t.stats.errors === 0; i++) await sleep(10);
    expect(t.stats.lastError).toMatch(/^NOAUTH Authentication required/);
    expect(t.failing).toBe(true);
    await t.close();
  });
});
