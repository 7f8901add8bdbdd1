/**
 * Hostile and broken clients: random bytes, truncated and oversized frames, messages out
 * of order, random pipelines. The server must never crash, must answer or close each bad
 * connection, and a healthy connection must keep working throughout.
 */
import { randomBytes, randomInt } from 'node:crypto';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messageNames as names, RawPgClient } from '@freshet/testkit';
import { startPgServer, type PgServer } from './server';
import { FakeManager } from './testing/fake-engine';

/** The trust user and database the fake engine knows (RawPgClient defaults to root/dev). */
const USER = 'test';
const DATABASE = 'db';

let server: PgServer;
let healthy: pg.Client;
const logs: string[] = [];
const MAX_MESSAGE = 64 * 1024;

beforeAll(async () => {
  server = await startPgServer({ host: '127.0.0.1', port: 0, manager: new FakeManager(), maxMessageSize: MAX_MESSAGE, log: (m) => logs.push(m) });
  healthy = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'test', database: 'db' });
  await healthy.connect();
});

afterEach(async () => {
  // The healthy connection is unaffected by whatever the test did.
  const res = await healthy.query('rows 2');
  expect(res.rowCount).toBe(2);
});

afterAll(async () => {
  await healthy.end();
  await server.close();
});

/** A valid pipelined stream after startup, with a mix of everything. */
function validPipeline(): Buffer {
  return Buffer.concat([
    serialize.parse({ name: 's', text: 'echo $1' }),
    serialize.describe({ type: 'S', name: 's' }),
    serialize.bind({ portal: 'p', statement: 's', values: ['v'] }),
    serialize.describe({ type: 'P', name: 'p' }),
    serialize.execute({ portal: 'p' }),
    serialize.query('rows 3; insert'),
    serialize.parse({ text: 'rows 4' }),
    serialize.bind(),
    serialize.execute({ rows: 1 }),
    serialize.execute({ rows: 0 }),
    serialize.close({ type: 'P', name: 'p' }),
    serialize.sync(),
  ]);
}

/** Sends `bytes`, waits briefly, then disconnects; returns what the server said. */
async function hit(bytes: Buffer, opts: { startup?: boolean; waitMs?: number } = {}): Promise<string[]> {
  const c = await RawPgClient.connect(server.port);
  if (opts.startup) await c.startup(USER, DATABASE);
  c.send(bytes);
  await Promise.race([c.closedPromise, new Promise((r) => setTimeout(r, opts.waitMs ?? 20))]);
  const got = names(c.messages);
  c.close();
  return got;
}

async function connectionsSettle(expected: number): Promise<void> {
  for (let i = 0; i < 200 && server.connections !== expected; i++) await new Promise((r) => setTimeout(r, 10));
  expect(server.connections).toBe(expected);
}

describe('fuzz', () => {
  it('survives random bytes instead of a startup packet', async () => {
    for (let i = 0; i < 60; i++) await hit(randomBytes(randomInt(1, 300)), { waitMs: 5 });
    await connectionsSettle(1);
  });

  it('survives random bytes after a valid startup (FATAL or ignored, never a crash)', async () => {
    for (let i = 0; i < 60; i++) {
      const got = await hit(randomBytes(randomInt(1, 300)), { startup: true, waitMs: 5 });
      expect(got.every((n) => typeof n === 'string')).toBe(true);
    }
    await connectionsSettle(1);
  });

  it('answers garbage after startup with FATAL 08P01 and closes', async () => {
    const c = await RawPgClient.connect(server.port);
    await c.startup(USER, DATABASE);
    c.send(Buffer.from([0x01, 0, 0, 0, 4])); // unknown message type 0x01
    const ms = (await c.untilClosed()) as any[];
    expect(ms[0]).toMatchObject({ name: 'error', code: '08P01', severity: 'FATAL' });
  });

  it('survives every truncation of a valid stream', async () => {
    const startup = serialize.startup({ user: 'test', database: 'db' });
    const stream = Buffer.concat([startup, validPipeline()]);
    for (let cut = 0; cut < stream.length; cut += 7) await hit(stream.subarray(0, cut), { waitMs: 1 });
    await connectionsSettle(1);
  });

  it('gives the same answers when a valid pipeline is split at every position', async () => {
    const pipeline = validPipeline();
    const reference = await RawPgClient.connect(server.port);
    await reference.startup(USER, DATABASE);
    reference.send(pipeline);
    // The pipeline holds a simple Query (its own ReadyForQuery) and ends with Sync.
    const expected = [...names(await reference.untilReady()), ...names(await reference.untilReady())];
    reference.close();
    expect(expected).toContain('portalSuspended');
    for (let cut = 1; cut < pipeline.length; cut += 5) {
      const c = await RawPgClient.connect(server.port);
      await c.startup(USER, DATABASE);
      c.socket.write(pipeline.subarray(0, cut));
      await new Promise((r) => setImmediate(r));
      c.socket.write(pipeline.subarray(cut));
      try {
        expect([...names(await c.untilReady()), ...names(await c.untilReady())]).toEqual(expected);
      } finally {
        c.close();
      }
    }
  });

  it('rejects an oversized message with FATAL 54000 without buffering it', async () => {
    const c = await RawPgClient.connect(server.port);
    await c.startup(USER, DATABASE);
    const header = Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]); // Query claiming 2 GiB
    c.send(header);
    const ms = (await c.untilClosed()) as any[];
    expect(ms[0]).toMatchObject({ name: 'error', code: '54000', severity: 'FATAL' });

    const c2 = await RawPgClient.connect(server.port);
    await c2.startup(USER, DATABASE);
    c2.send(serialize.query('x'.repeat(MAX_MESSAGE + 1)));
    expect(((await c2.untilClosed()) as any[])[0]).toMatchObject({ code: '54000' });
  });

  it('rejects an oversized or undersized startup packet with FATAL 08P01', async () => {
    for (const len of [100_000, 3, -1]) {
      const c = await RawPgClient.connect(server.port);
      const b = Buffer.alloc(8);
      b.writeInt32BE(len);
      c.send(b);
      expect(((await c.untilClosed()) as any[])[0]).toMatchObject({ name: 'error', code: '08P01', severity: 'FATAL' });
    }
  });

  it('rejects a malformed message body with FATAL 08P01', async () => {
    const c = await RawPgClient.connect(server.port);
    await c.startup(USER, DATABASE);
    c.send(Buffer.from([0x50, 0, 0, 0, 7, 0x61, 0x62, 0x63])); // Parse: unterminated name
    expect(((await c.untilClosed()) as any[])[0]).toMatchObject({ name: 'error', code: '08P01', severity: 'FATAL' });
  });

  it('handles messages out of order', async () => {
    const c = await RawPgClient.connect(server.port);
    await c.startup(USER, DATABASE);
    c.send(serialize.bind({ statement: 'nope' }), serialize.execute({ portal: 'nope' }), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['error', 'readyForQuery']);
    c.send(serialize.execute({ portal: 'ghost' }), serialize.describe({ type: 'P', name: 'ghost' }), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['error', 'readyForQuery']);
    c.send(serialize.sync(), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['readyForQuery']);
    expect(names(await c.untilReady())).toEqual(['readyForQuery']);
    c.send(serialize.flush(), serialize.close({ type: 'P', name: 'x' }), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['closeComplete', 'readyForQuery']);
    // COPY messages outside COPY are ignored, like PostgreSQL.
    c.send(serialize.copyData(Buffer.from('x')), serialize.copyDone(), serialize.query('rows 1'));
    expect(names(await c.untilReady())).toEqual(['rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    // A password message once authenticated is a protocol violation.
    c.send(serialize.password('late'));
    expect(((await c.untilClosed()) as any[])[0]).toMatchObject({ code: '08P01', severity: 'FATAL' });
  });

  it('rejects a query before authentication', async () => {
    const m = new FakeManager({ u: { method: 'password', plaintext: 'x' } });
    const s = await startPgServer({ host: '127.0.0.1', port: 0, manager: m });
    const c = await RawPgClient.connect(s.port);
    c.send(serialize.startup({ user: 'u', database: 'db' }));
    await c.until((m2) => m2.name === 'authenticationCleartextPassword');
    c.send(serialize.query('rows 1'));
    expect(((await c.untilClosed()) as any[])[0]).toMatchObject({ code: '08P01', severity: 'FATAL' });
    // Garbage SASL responses to a SCRAM request are FATAL too.
    m.users.v = { method: 'password', plaintext: 'x', prefer: 'scram-sha-256' };
    const c2 = await RawPgClient.connect(s.port);
    c2.send(serialize.startup({ user: 'v', database: 'db' }));
    await c2.until((m2) => m2.name === 'authenticationSASL');
    c2.send(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'garbage'));
    expect(((await c2.untilClosed()) as any[])[0]).toMatchObject({ code: '08P01', severity: 'FATAL' });
    expect(m.sessions.size).toBe(0);
    await s.close();
  });

  it('survives random pipelines of valid messages and always reaches ReadyForQuery', async () => {
    const palette = [
      () => serialize.parse({ text: ['rows 2', 'error', 'insert', 'echo $1', 'parse error', 'crash', ''][randomInt(7)] }),
      () => serialize.parse({ name: 'n', text: 'rows 1' }),
      () => serialize.bind({ values: randomInt(2) ? ['a'] : [] }),
      () => serialize.bind({ portal: 'q', statement: 'n' }),
      () => serialize.describe({ type: randomInt(2) ? 'S' : 'P', name: randomInt(2) ? 'n' : '' }),
      () => serialize.execute({ rows: randomInt(3) }),
      () => serialize.execute({ portal: 'q' }),
      () => serialize.close({ type: randomInt(2) ? 'S' : 'P', name: randomInt(2) ? 'n' : 'q' }),
      () => serialize.flush(),
      () => serialize.query(['rows 1', 'error', 'notice; rows 1', ''][randomInt(4)]),
      () => serialize.sync(),
    ];
    for (let round = 0; round < 30; round++) {
      const c = await RawPgClient.connect(server.port);
      await c.startup(USER, DATABASE);
      const msgs: Buffer[] = [];
      for (let i = 0; i < randomInt(1, 25); i++) msgs.push(palette[randomInt(palette.length)]());
      msgs.push(serialize.sync());
      // A marker query no palette entry produces: once its result arrives, everything
      // before it was answered (messages skipped while draining produce no reply).
      msgs.push(serialize.query('rows 7'));
      c.send(...msgs);
      try {
        await c.until((m) => m.name === 'commandComplete' && (m as any).text === 'SELECT 7');
        expect(names(await c.untilReady())).toEqual(['readyForQuery']);
      } finally {
        c.close();
      }
    }
    await connectionsSettle(1);
  });

  it('survives random bit flips in a valid stream', async () => {
    const stream = Buffer.concat([serialize.startup({ user: 'test', database: 'db' }), validPipeline()]);
    for (let i = 0; i < 60; i++) {
      const mutated = Buffer.from(stream);
      for (let k = 0; k < 3; k++) mutated[randomInt(mutated.length)] ^= 1 << randomInt(8);
      await hit(mutated, { waitMs: 3 });
    }
    await connectionsSettle(1);
  });
});

describe('back-pressure', () => {
  it('a client that stops reading blocks only its own connection', async () => {
    const c = await RawPgClient.connect(server.port);
    await c.startup(USER, DATABASE);
    c.socket.pause();
    c.send(serialize.query('big 30000')); // ~30 MiB of DataRows
    await new Promise((r) => setTimeout(r, 100));
    // Meanwhile the healthy connection is served.
    expect((await healthy.query('rows 1')).rowCount).toBe(1);
    c.socket.resume();
    const ms = await c.untilReady(20_000);
    expect(ms.filter((m) => m.name === 'dataRow').length).toBe(30000);
    c.close();
  });
});
