import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageNames as names, RawPgClient } from '@freshet/testkit';
import { md5PasswordHash } from './auth/md5';
import { makeScramVerifier } from './auth/scram';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Connection, FLUSH_THRESHOLD } from './protocol/connection';
import { startPgServer, type PgServer } from './server';
import { FakeManager } from './testing/fake-engine';

/** The trust user and database the fake engine knows (RawPgClient defaults to root/dev). */
const USER = 'test';
const DATABASE = 'db';

let server: PgServer;
let manager: FakeManager;
const logs: string[] = [];

beforeAll(async () => {
  manager = new FakeManager({
    test: { method: 'trust' },
    scram: { method: 'password', scramVerifier: makeScramVerifier('s3cret') },
    md5: { method: 'password', md5Hash: md5PasswordHash('md5', 'hunter2') },
    clear: { method: 'password', plaintext: 'open sesame', prefer: 'password' },
    clearscram: { method: 'password', scramVerifier: makeScramVerifier('pw'), prefer: 'password' },
  });
  server = await startPgServer({ host: '127.0.0.1', port: 0, manager, log: (m) => logs.push(m) });
});

afterAll(async () => {
  await server.close();
});

async function client(opts: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'test', database: 'db', ...opts });
  await c.connect();
  return c;
}

async function raw(): Promise<RawPgClient> {
  const c = await RawPgClient.connect(server.port);
  await c.startup(USER, DATABASE);
  return c;
}

describe('simple query (pg client)', () => {
  it('returns rows, fields and the command tag', async () => {
    const c = await client();
    const res = await c.query('rows 3');
    expect(res.rows).toEqual([
      { n: 1, s: 'row 1' },
      { n: 2, s: 'row 2' },
      { n: 3, s: 'row 3' },
    ]);
    expect(res.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ['n', 23],
      ['s', 1043],
    ]);
    expect(res.command).toBe('SELECT');
    expect(res.rowCount).toBe(3);
    await c.end();
  });

  it('answers statements whose portal runs synchronously, alone and with others', async () => {
    const c = await client();
    expect((await c.query('sync rows 2')).rows).toEqual([
      { n: 1, s: 'row 1' },
      { n: 2, s: 'row 2' },
    ]);
    expect((await c.query('sync rows 0')).rowCount).toBe(0);
    await expect(c.query('sync error')).rejects.toMatchObject({ code: '22012' });
    // The connection is still usable, and a synchronous statement mixes with async ones.
    const multi = (await c.query('sync rows 1; rows 1; sync rows 1')) as unknown as pg.QueryResult[];
    expect(multi.map((r) => r.rowCount)).toEqual([1, 1, 1]);
    await expect(c.query('sync rows 1; sync error; rows 1')).rejects.toMatchObject({ code: '22012' });
    expect((await c.query('sync rows 1')).rows).toEqual([{ n: 1, s: 'row 1' }]);
    await c.end();
  });

  it('runs multi-statement queries', async () => {
    const c = await client();
    const res = (await c.query('rows 2; insert; rows 1')) as unknown as pg.QueryResult[];
    expect(res.map((r) => [r.command, r.rowCount])).toEqual([
      ['SELECT', 2],
      ['INSERT', 1],
      ['SELECT', 1],
    ]);
    await c.end();
  });

  it('reports errors with all fields and keeps the connection usable', async () => {
    const c = await client();
    const err = await c.query('error').catch((e) => e);
    expect(err).toMatchObject({ code: '42601', message: 'syntax error at or near "error"', position: '1', detail: 'some detail', hint: 'some hint', severity: 'ERROR' });
    expect((await c.query('rows 1')).rows).toEqual([{ n: 1, s: 'row 1' }]);
    await c.end();
  });

  it('maps non-SqlError exceptions to XX000 and logs them', async () => {
    const c = await client();
    const err = await c.query('crash').catch((e) => e);
    expect(err).toMatchObject({ code: 'XX000', message: 'boom' });
    expect(logs.some((l) => l.includes('boom'))).toBe(true);
    await c.end();
  });

  it('handles the empty query', async () => {
    const c = await client();
    const res = await c.query('');
    expect(res.rows).toEqual([]);
    await c.end();
  });

  it('sends large results intact', async () => {
    const c = await client();
    const res = await c.query('big 5000'); // ~5 MiB, many 64 KiB pieces
    expect(res.rows.length).toBe(5000);
    expect(res.rows.every((r) => r.payload.length === 1024)).toBe(true);
    await c.end();
  });

  it('delivers notices', async () => {
    const c = await client();
    const notices: string[] = [];
    c.on('notice', (n) => notices.push(n.message ?? ''));
    await c.query('notice');
    expect(notices).toEqual(['hello from notice']);
    await c.end();
  });

  it('closes the connection after a FATAL error from the engine', async () => {
    const c = await client();
    c.on('error', () => {});
    const err = await c.query('fatal').catch((e) => e);
    expect(err).toMatchObject({ code: '57P01', severity: 'FATAL' });
    await c.end().catch(() => {});
  });
});

describe('simple query (raw)', () => {
  it('stops at the first error, then ReadyForQuery', async () => {
    const c = await raw();
    c.send(serialize.query('insert; error; rows 1'));
    const ms = await c.untilReady();
    expect(names(ms)).toEqual(['commandComplete', 'error', 'readyForQuery']);
    c.close();
  });

  it('sends EmptyQueryResponse for an empty query', async () => {
    const c = await raw();
    c.send(serialize.query('  ;  '));
    expect(names(await c.untilReady())).toEqual(['emptyQuery', 'readyForQuery']);
    c.close();
  });

  it('sends ParameterStatus after a statement that changes one', async () => {
    const c = await raw();
    c.send(serialize.query('set tz Europe/Paris'));
    const ms = (await c.untilReady()) as any[];
    expect(names(ms)).toEqual(['commandComplete', 'parameterStatus', 'readyForQuery']);
    expect(ms[1]).toMatchObject({ parameterName: 'TimeZone', parameterValue: 'europe/paris' });
    c.close();
  });

  it('reports transaction status in ReadyForQuery and calls onError', async () => {
    const c = await raw();
    c.send(serialize.query('begin'));
    expect((await c.untilReady()).pop()).toMatchObject({ status: 'T' });
    c.send(serialize.query('error'));
    expect((await c.untilReady()).pop()).toMatchObject({ status: 'E' });
    c.send(serialize.query('commit'));
    expect((await c.untilReady()).pop()).toMatchObject({ status: 'I' });
    c.close();
  });
});

describe('extended protocol', () => {
  it('binds text parameters (pg client)', async () => {
    const c = await client();
    const res = await c.query({ text: 'echo $1 $2', values: ['a', null] });
    expect(res.rows).toEqual([{ p1: 'a', p2: null }]);
    await c.end();
  });

  it('reuses named prepared statements (pg client)', async () => {
    const c = await client();
    for (let i = 0; i < 3; i++) {
      const res = await c.query({ name: 'q1', text: 'rows 2' });
      expect(res.rowCount).toBe(2);
    }
    await c.end();
  });

  it('returns binary results when asked (pg client)', async () => {
    const c = await client();
    const res = await c.query({ text: 'rows 2', binary: true, queryMode: 'extended' } as pg.QueryConfig);
    expect(res.fields.map((f) => f.format)).toEqual(['binary', 'binary']);
    expect(res.rows.map((r) => r.n)).toEqual([1, 2]);
    await c.end();
  });

  it('uses parameter type OIDs from Parse and binary parameters', async () => {
    const c = await raw();
    const four = Buffer.alloc(4);
    four.writeInt32BE(0x41424344);
    c.send(
      serialize.parse({ name: 'typed', text: 'echo $1', types: [23] }),
      serialize.describe({ type: 'S', name: 'typed' }),
      serialize.bind({ statement: 'typed', values: [four], binary: true }),
      serialize.describe({ type: 'P' }),
      serialize.execute(),
      serialize.sync(),
    );
    const ms = (await c.untilReady()) as any[];
    expect(names(ms)).toEqual(['parseComplete', 'parameterDescription', 'rowDescription', 'bindComplete', 'rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect(ms[1].dataTypeIDs).toEqual([23]);
    expect(ms[2].fields[0]).toMatchObject({ name: 'p1', dataTypeID: 23, format: 'text' });
    expect(ms[4].fields[0]).toMatchObject({ name: 'p1', dataTypeID: 23, format: 'binary' });
    expect(ms[5].fields[0]).toBe('ABCD'); // pg-protocol hands DataRow values over as strings
    c.close();
  });

  it('answers Describe with NoData for commands without rows', async () => {
    const c = await raw();
    c.send(serialize.parse({ text: 'insert' }), serialize.describe({ type: 'S' }), serialize.bind(), serialize.describe({ type: 'P' }), serialize.execute(), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['parseComplete', 'parameterDescription', 'noData', 'bindComplete', 'noData', 'commandComplete', 'readyForQuery']);
    c.close();
  });

  it('suspends portals at the row limit and continues them', async () => {
    const c = await raw();
    c.send(serialize.parse({ text: 'rows 5' }), serialize.bind({ portal: 'cur' }), serialize.execute({ portal: 'cur', rows: 2 }), serialize.flush());
    expect(names(await c.until((m) => m.name === 'portalSuspended'))).toEqual(['parseComplete', 'bindComplete', 'dataRow', 'dataRow', 'portalSuspended']);
    c.send(serialize.execute({ portal: 'cur', rows: 2 }), serialize.flush());
    const second = (await c.until((m) => m.name === 'portalSuspended')) as any[];
    expect(second.filter((m) => m.name === 'dataRow').map((m) => m.fields[0])).toEqual(['3', '4']);
    c.send(serialize.execute({ portal: 'cur', rows: 2 }), serialize.execute({ portal: 'cur', rows: 2 }), serialize.sync());
    const rest = (await c.untilReady()) as any[];
    expect(names(rest)).toEqual(['dataRow', 'commandComplete', 'commandComplete', 'readyForQuery']);
    expect(rest[0].fields[0]).toBe('5');
    expect(rest[1].text).toBe('SELECT 5');
    c.close();
  });

  it('skips to Sync after an error in a pipeline', async () => {
    const c = await raw();
    c.send(
      serialize.parse({ text: 'rows 1' }),
      serialize.bind(),
      serialize.execute(),
      serialize.parse({ text: 'error' }),
      serialize.bind(),
      serialize.execute(),
      serialize.parse({ text: 'rows 2' }),
      serialize.bind(),
      serialize.execute(),
      serialize.query('rows 1'),
      serialize.sync(),
      serialize.parse({ text: 'rows 2' }),
      serialize.bind(),
      serialize.execute(),
      serialize.sync(),
    );
    const first = (await c.untilReady()) as any[];
    expect(names(first)).toEqual(['parseComplete', 'bindComplete', 'dataRow', 'commandComplete', 'parseComplete', 'bindComplete', 'error', 'readyForQuery']);
    expect(first[6].code).toBe('42601');
    const second = await c.untilReady();
    expect(names(second)).toEqual(['parseComplete', 'bindComplete', 'dataRow', 'dataRow', 'commandComplete', 'readyForQuery']);
    c.close();
  });

  it('reports unknown statements and portals (26000 / 34000)', async () => {
    const c = await raw();
    c.send(serialize.bind({ statement: 'nope' }), serialize.sync());
    expect((await c.untilReady())[0]).toMatchObject({ name: 'error', code: '26000', message: 'prepared statement "nope" does not exist' });
    c.send(serialize.execute({ portal: 'nope' }), serialize.sync());
    expect((await c.untilReady())[0]).toMatchObject({ name: 'error', code: '34000', message: 'portal "nope" does not exist' });
    c.send(serialize.describe({ type: 'S', name: 'nope' }), serialize.sync());
    expect((await c.untilReady())[0]).toMatchObject({ name: 'error', code: '26000' });
    c.send(serialize.describe({ type: 'P', name: 'nope' }), serialize.sync());
    expect((await c.untilReady())[0]).toMatchObject({ name: 'error', code: '34000' });
    c.close();
  });

  it('rejects duplicate named statements and mismatched format counts', async () => {
    const c = await raw();
    c.send(serialize.parse({ name: 'dup', text: 'rows 1' }), serialize.parse({ name: 'dup', text: 'rows 1' }), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['parseComplete', 'error', 'readyForQuery']);
    c.send(serialize.parse({ name: 'one', text: 'echo $1' }), serialize.sync());
    await c.untilReady();
    // Bind "" "one" with 2 parameter format codes for 1 parameter.
    const body = Buffer.from([0, ...Buffer.from('one'), 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x78, 0, 0]);
    const header = Buffer.from([0x42, 0, 0, 0, 0]);
    header.writeInt32BE(body.length + 4, 1);
    c.send(header, body, serialize.sync());
    expect((await c.untilReady())[0]).toMatchObject({ name: 'error', code: '08P01', severity: 'ERROR' });
    // Wrong number of parameters: reported by the engine, connection stays up.
    c.send(serialize.bind({ statement: 'one', values: [] }), serialize.sync());
    expect((await c.untilReady())[0]).toMatchObject({ name: 'error', code: '08P01' });
    c.send(serialize.bind({ statement: 'one', values: ['x'] }), serialize.execute(), serialize.sync());
    const ok = (await c.untilReady()) as any[];
    expect(names(ok)).toEqual(['bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect(ok[1].fields).toEqual(['x']);
    c.close();
  });

  it('replaces the unnamed statement and portal, and Close works', async () => {
    const c = await raw();
    c.send(
      serialize.parse({ text: 'rows 1' }),
      serialize.parse({ text: 'rows 2' }),
      serialize.bind(),
      serialize.bind(),
      serialize.execute(),
      serialize.close({ type: 'P', name: '' }),
      serialize.execute(),
      serialize.sync(),
    );
    const ms = (await c.untilReady()) as any[];
    expect(names(ms)).toEqual(['parseComplete', 'parseComplete', 'bindComplete', 'bindComplete', 'dataRow', 'dataRow', 'commandComplete', 'closeComplete', 'error', 'readyForQuery']);
    expect(ms[8].code).toBe('34000');
    c.send(serialize.parse({ name: 'named', text: 'rows 1' }), serialize.close({ type: 'S', name: 'named' }), serialize.bind({ statement: 'named' }), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['parseComplete', 'closeComplete', 'error', 'readyForQuery']);
    c.send(serialize.close({ type: 'S', name: 'never-existed' }), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['closeComplete', 'readyForQuery']);
    c.close();
  });

  it('closes portals when Sync ends the implicit transaction, but not inside a block', async () => {
    const c = await raw();
    c.send(serialize.parse({ text: 'rows 3' }), serialize.bind(), serialize.execute({ rows: 1 }), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['parseComplete', 'bindComplete', 'dataRow', 'portalSuspended', 'readyForQuery']);
    c.send(serialize.execute({ rows: 1 }), serialize.sync());
    expect((await c.untilReady())[0]).toMatchObject({ name: 'error', code: '34000' });

    c.send(serialize.query('begin'));
    await c.untilReady();
    c.send(serialize.parse({ text: 'rows 3' }), serialize.bind({ portal: 'p' }), serialize.execute({ portal: 'p', rows: 1 }), serialize.sync());
    expect((await c.untilReady()).pop()).toMatchObject({ status: 'T' });
    c.send(serialize.execute({ portal: 'p' }), serialize.sync());
    expect(names(await c.untilReady())).toEqual(['dataRow', 'dataRow', 'commandComplete', 'readyForQuery']);
    c.close();
  });

  it('calls session.onError for extended-protocol errors', async () => {
    const c = await raw();
    const before = [...manager.sessions.values()].reduce((n, s) => n + s.errors.length, 0);
    c.send(serialize.parse({ text: 'parse error' }), serialize.sync());
    const ms = (await c.untilReady()) as any[];
    expect(ms[0]).toMatchObject({ name: 'error', code: '42601', position: '7' });
    const after = [...manager.sessions.values()].reduce((n, s) => n + s.errors.length, 0);
    expect(after).toBe(before + 1);
    c.close();
  });
});

describe('startup and authentication', () => {
  it('sends ParameterStatus and BackendKeyData after startup', async () => {
    const c = await RawPgClient.connect(server.port);
    const ms = (await c.startup(USER, DATABASE)) as any[];
    expect(names(ms)).toEqual(['authenticationOk', 'parameterStatus', 'parameterStatus', 'parameterStatus', 'backendKeyData', 'readyForQuery']);
    const session = manager.sessions.get(ms[4].processID)!;
    expect(session.secretKey).toBe(ms[4].secretKey);
    expect(session.startup).toMatchObject({ user: 'test', database: 'db' });
    c.close();
  });

  it('answers SSLRequest and GSSENCRequest with N and continues', async () => {
    const c = await RawPgClient.connect(server.port);
    c.expectRaw();
    c.send(serialize.requestSsl());
    expect(await c.readRawByte()).toBe(0x4e);
    const gss = Buffer.alloc(8);
    gss.writeInt32BE(8);
    gss.writeInt32BE(80877104, 4);
    c.expectRaw();
    c.send(gss);
    expect(await c.readRawByte()).toBe(0x4e);
    await c.startup(USER, DATABASE);
    c.send(serialize.query('rows 1'));
    expect(names(await c.untilReady())).toEqual(['rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    c.close();
  });

  it('works with pg over sslmode=prefer-like negotiation (ssl: false)', async () => {
    const c = await client({ ssl: false });
    expect((await c.query('rows 1')).rowCount).toBe(1);
    await c.end();
  });

  it.each([
    ['scram', 's3cret'],
    ['md5', 'hunter2'],
    ['clear', 'open sesame'],
    ['clearscram', 'pw'],
  ])('%s: right password connects, wrong one fails with 28P01', async (user, password) => {
    const good = await client({ user, password });
    expect((await good.query('rows 1')).rowCount).toBe(1);
    await good.end();
    const bad = new pg.Client({ host: '127.0.0.1', port: server.port, user, password: 'wrong', database: 'db' });
    const err = await bad.connect().catch((e) => e);
    expect(err).toMatchObject({ code: '28P01', message: `password authentication failed for user "${user}"`, severity: 'FATAL' });
  });

  it('asks for SCRAM when a verifier exists and MD5 when only an md5 hash exists', async () => {
    const scram = await RawPgClient.connect(server.port);
    scram.send(serialize.startup({ user: 'scram', database: 'db' }));
    expect((await scram.until((m) => m.name.startsWith('authentication')))[0]).toMatchObject({ name: 'authenticationSASL', mechanisms: ['SCRAM-SHA-256'] });
    scram.close();
    const md5 = await RawPgClient.connect(server.port);
    md5.send(serialize.startup({ user: 'md5', database: 'db' }));
    expect((await md5.until((m) => m.name.startsWith('authentication')))[0]).toMatchObject({ name: 'authenticationMD5Password' });
    md5.close();
  });

  it('rejects unknown users (28000) and databases (3D000) with FATAL', async () => {
    const e1 = await new pg.Client({ host: '127.0.0.1', port: server.port, user: 'ghost', database: 'db' }).connect().catch((e) => e);
    expect(e1).toMatchObject({ code: '28000', severity: 'FATAL' });
    const e2 = await new pg.Client({ host: '127.0.0.1', port: server.port, user: 'test', database: 'nodb' }).connect().catch((e) => e);
    expect(e2).toMatchObject({ code: '3D000', severity: 'FATAL' });
  });

  it('rejects other protocol major versions with FATAL 0A000', async () => {
    const c = await RawPgClient.connect(server.port);
    const pkt = Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]);
    c.send(pkt);
    const ms = (await c.untilClosed()) as any[];
    expect(ms[0]).toMatchObject({ name: 'error', code: '0A000', severity: 'FATAL' });
  });

  it('negotiates down a 3.2 startup', async () => {
    const c = await RawPgClient.connect(server.port);
    const startup = serialize.startup({ user: 'test', database: 'db' });
    startup.writeInt32BE((3 << 16) | 2, 4);
    c.send(startup);
    // pg-protocol does not know NegotiateProtocolVersion ('v'); it still reaches ReadyForQuery.
    const ms = await c.untilReady();
    expect(ms.pop()).toMatchObject({ name: 'readyForQuery' });
    c.close();
  });
});

describe('cancel and terminate', () => {
  it('cancels a running statement from another connection', async () => {
    const c = await RawPgClient.connect(server.port);
    const key = (await c.startup(USER, DATABASE)).find((m) => m.name === 'backendKeyData') as any;
    c.send(serialize.query('sleep'));
    await new Promise((r) => setTimeout(r, 30));
    const canceller = await RawPgClient.connect(server.port);
    canceller.send(serialize.cancel(key.processID, key.secretKey));
    await canceller.untilClosed();
    const ms = (await c.untilReady()) as any[];
    expect(ms[0]).toMatchObject({ name: 'error', code: '57014' });
    c.send(serialize.query('rows 1'));
    expect((await c.untilReady()).length).toBe(4);
    c.close();
  });

  it('ignores a CancelRequest with the wrong key', async () => {
    const before = manager.cancels;
    const canceller = await RawPgClient.connect(server.port);
    canceller.send(serialize.cancel(1, 2));
    await canceller.untilClosed();
    expect(manager.cancels).toBe(before + 1);
  });

  it('Terminate closes the connection and the session', async () => {
    const before = manager.closedSessions;
    const c = await raw();
    c.send(serialize.end());
    expect(await c.untilClosed()).toEqual([]);
    expect(manager.closedSessions).toBe(before + 1);
  });

  it('closes the session when the client just disconnects', async () => {
    const before = manager.closedSessions;
    const c = await raw();
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(manager.closedSessions).toBe(before + 1);
  });
});

describe('server lifecycle', () => {
  it('counts connections and terminates them on close with 57P01', async () => {
    const m = new FakeManager();
    const s = await startPgServer({ host: '127.0.0.1', port: 0, manager: m });
    const c = await RawPgClient.connect(s.port);
    await c.startup(USER, DATABASE);
    expect(s.connections).toBe(1);
    await s.close();
    const ms = (await c.untilClosed()) as any[];
    expect(ms[0]).toMatchObject({ name: 'error', code: '57P01', severity: 'FATAL' });
    expect(m.closedSessions).toBe(1);
  });

  it('rejects when the port is taken', async () => {
    await expect(startPgServer({ host: '127.0.0.1', port: server.port, manager })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('write coalescing', () => {
  it('writes once per ReadyForQuery cycle and in ~64 KiB pieces for large results', async () => {
    const writes: number[] = [];
    let noDelay = false;
    const m = new FakeManager();
    const srv = createServer((socket: Socket) => {
      const write = socket.write.bind(socket) as (b: Buffer) => boolean;
      (socket as any).write = (b: Buffer) => {
        writes.push(b.length);
        return write(b);
      };
      const setNoDelay = socket.setNoDelay.bind(socket);
      (socket as any).setNoDelay = (v: boolean) => {
        noDelay = v;
        return setNoDelay(v);
      };
      new Connection(socket, { manager: m, maxMessageSize: 1 << 20, log: () => {} });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const c = await RawPgClient.connect((srv.address() as AddressInfo).port);
    await c.startup(USER, DATABASE);
    expect(noDelay).toBe(true);
    expect(writes.length).toBe(1); // AuthenticationOk … ReadyForQuery
    c.send(
      serialize.parse({ text: 'rows 3' }),
      serialize.bind(),
      serialize.describe({ type: 'P' }),
      serialize.execute(),
      serialize.sync(),
      serialize.query('rows 2; insert; notice'),
    );
    await c.untilReady();
    await c.untilReady();
    expect(writes.length).toBe(3);
    writes.length = 0;
    c.send(serialize.query('big 1000')); // ~1 MiB
    await c.untilReady();
    expect(writes.length).toBeGreaterThan(10);
    expect(writes.length).toBeLessThan(25);
    expect(Math.max(...writes)).toBeLessThan(FLUSH_THRESHOLD + 2048);
    c.close();
    await new Promise<void>((r) => srv.close(() => r()));
  });
});
