/**
 * Protocol fuzzing against a real running `freshet playground` (the whole stack: pgwire,
 * sessions, parser, planner, executors). packages/pgwire/src/fuzz.test.ts fuzzes the codec
 * against a fake engine; this file checks the same promises end to end:
 *
 * - every broken connection ends with a FATAL ErrorResponse carrying a SQLSTATE and is
 *   closed by the server, or (for recoverable mistakes) gets ERROR responses and then keeps
 *   working — proven by a probe query answered on the same connection afterwards;
 * - the server never reports an internal error (XX000) and never hits an uncaught exception;
 * - the server process never dies;
 * - a separate long-lived `pg` connection keeps answering correctly throughout and after.
 *
 * Cases come from a seeded PRNG; a failure names its seed and case so it reproduces
 * (`FRESHET_FUZZ_SEED=<seed> npx vitest run conformance/server/fuzz.test.ts`).
 */
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CANCEL_REQUEST_CODE,
  cancelRequest,
  describeMessage,
  frame,
  GSSENC_REQUEST_CODE,
  isError,
  messageNames,
  Prng,
  PROTOCOL_3_0,
  RawPgClient,
  SSL_REQUEST_CODE,
  startFreshet,
  startupPacket,
  type FreshetServer,
} from '@freshet/testkit';
import { assertServerAlive, HealthMonitor } from './health';

const SEED = Number(process.env.FRESHET_FUZZ_SEED ?? 0x5eed_f00d);
/** How long a case may take before we call it a hang. */
const CASE_TIMEOUT_MS = 4000;
/** Cases run this many at a time, so connections also interleave on the server. */
const PARALLEL = 8;
const SQLSTATE = /^[0-9A-Z]{5}$/;

let server: FreshetServer;
let health: HealthMonitor;

beforeAll(async () => {
  server = await startFreshet({ playground: true });
  health = await HealthMonitor.start(server);
  const c = await RawPgClient.connect(server.port);
  await c.startup();
  c.send(serialize.query('CREATE TABLE fz (a INT, b VARCHAR); CREATE USER fuzz_pw WITH PASSWORD \'secret\''));
  const ms = await c.untilReady();
  expect(ms.filter(isError).map(describeMessage)).toEqual([]);
  c.close();
});

afterEach(async () => {
  assertServerAlive(server);
  await health.assertHealthy();
});

afterAll(async () => {
  if (health) {
    const answered = health.answered;
    await health.assertHealthy();
    await health.stop();
    // The background connection really was querying during the fuzzing.
    expect(answered).toBeGreaterThan(20);
  }
  if (server) {
    assertServerAlive(server);
    await server.stop();
  }
});

// ------------------------------------------------------------------------------ helpers

type Outcome =
  /** The server sent a FATAL ErrorResponse (last) and closed. */
  | { kind: 'fatal'; error: BackendMessage & { code?: string } }
  /** The server closed without a word (allowed only for CancelRequest and Terminate). */
  | { kind: 'silent-close' }
  /** The connection still works: the probe query was answered. */
  | { kind: 'continues' }
  /** A session was established (or a Sync answered) and the connection is open. */
  | { kind: 'session' }
  /** Nothing happened within the wait (an incomplete frame the server is waiting for). */
  | { kind: 'waiting' };

/** Checks the invariants common to every response and classifies how the case ended. */
function classify(c: RawPgClient, all: BackendMessage[], probeAnswered: boolean, label: string): Outcome {
  if (c.parseError) throw new Error(`${label}: server sent unparsable bytes: ${c.parseError.message}`);
  for (const m of all) {
    if (!isError(m)) continue;
    if (!SQLSTATE.test(m.code ?? '')) throw new Error(`${label}: ErrorResponse without a valid SQLSTATE: ${describeMessage(m)}`);
    if (m.code === 'XX000') throw new Error(`${label}: internal error reported: ${describeMessage(m)}`);
  }
  const fatals = all.filter((m) => isError(m) && m.severity === 'FATAL');
  if (fatals.length > 1) throw new Error(`${label}: more than one FATAL: ${all.map(describeMessage).join(', ')}`);
  if (fatals.length === 1) {
    if (all[all.length - 1] !== fatals[0]) throw new Error(`${label}: messages after FATAL: ${all.map(describeMessage).join(', ')}`);
    if (!c.closed) throw new Error(`${label}: FATAL but the connection stayed open`);
    return { kind: 'fatal', error: fatals[0] };
  }
  if (probeAnswered) return { kind: 'continues' };
  if (c.closed) return { kind: 'silent-close' };
  if (all.some((m) => m.name === 'readyForQuery')) return { kind: 'session' };
  return { kind: 'waiting' };
}

/**
 * Sends `bytes` (after a trust startup if `startup`), then — unless `probe` is false — a
 * Sync and a simple query whose unique answer proves the connection still works. Waits for
 * that answer or for the server to close.
 */
async function runCase(bytes: Buffer, opts: { startup: boolean; probe?: boolean; label: string; waitMs?: number }): Promise<Outcome> {
  const c = await RawPgClient.connect(server.port);
  try {
    if (opts.startup) await c.startup();
    const probeValue = 100_000 + Math.floor(Math.random() * 1e6);
    const probe = opts.probe ?? true;
    c.send(bytes);
    // ROLLBACK first: a case may leave an aborted transaction block, where PostgreSQL
    // (rightly) refuses everything else.
    if (probe) c.send(serialize.sync(), serialize.query('ROLLBACK'), serialize.query(`SELECT ${probeValue} AS probe`));
    let answered = false;
    let taken: BackendMessage[] = [];
    const isProbeRow = (m: BackendMessage) => m.name === 'dataRow' && (m as unknown as { fields: unknown[] }).fields[0] === String(probeValue);
    if (probe) {
      try {
        taken = await c.until(isProbeRow, opts.waitMs ?? CASE_TIMEOUT_MS, 'the probe answer');
        answered = true;
        taken.push(...(await c.untilReady()));
      } catch (e) {
        if (!c.closed) throw new Error(`${opts.label}: ${(e as Error).message}`);
      }
    } else {
      // Until the server decides (a session or a FATAL), closes, or the wait is over.
      taken = await c.until((m) => m.name === 'readyForQuery' || (isError(m) && m.severity === 'FATAL'), opts.waitMs ?? 200, 'an answer').catch(() => []);
    }
    await c.settle(c.closed ? 0 : 20);
    const all = [...taken, ...c.messages];
    // After a FATAL the server must close; under load the close may trail the message.
    if (!c.closed && all.some((m) => isError(m) && m.severity === 'FATAL')) {
      await c.untilClosed(CASE_TIMEOUT_MS).catch(() => {});
    }
    return classify(c, all, answered, opts.label);
  } finally {
    c.close();
  }
}

/** Runs `n` generated cases, PARALLEL at a time; returns the outcome counts. */
async function fuzz(n: number, gen: (rng: Prng, i: number) => Promise<Outcome>, seedOffset: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let start = 0; start < n; start += PARALLEL) {
    const batch = [];
    for (let i = start; i < Math.min(n, start + PARALLEL); i++) {
      // One PRNG per case: a case reproduces alone, whatever ran before it.
      const rng = new Prng((SEED + seedOffset * 100_003 + i * 7919) >>> 0);
      batch.push(
        gen(rng, i).catch((e: Error) => {
          throw new Error(`seed ${SEED} group ${seedOffset} case ${i}: ${e.message}`);
        }),
      );
    }
    for (const o of await Promise.all(batch)) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  }
  return counts;
}

const FE_TYPES = 'BCDEFHPQSXcdfp';

/** A structurally valid message with arbitrary content, as a driver might send it. */
function validMessage(rng: Prng): Buffer {
  const sql = rng.pick([
    'SELECT 1',
    'SELECT $1::INT + 1',
    'SELECT * FROM generate_series(1, 5)',
    'SELECT 1 / 0',
    'SELEC 1',
    'SELECT * FROM no_such_table',
    'INSERT INTO fz VALUES (1, \'x\')',
    'SELECT a, b FROM fz LIMIT 3',
    'SELECT \'a\'::INT',
    '',
    'BEGIN',
    'COMMIT',
    'ROLLBACK',
  ]);
  const name = rng.pick(['', 's1', 's2']);
  const portal = rng.pick(['', 'p1', 'p2']);
  switch (rng.int(0, 10)) {
    case 0:
      return serialize.parse({ name, text: sql, types: rng.bool(0.3) ? [23] : [] });
    case 1:
      return serialize.bind({ portal, statement: name, values: rng.pick([[], ['7'], ['x'], [null], ['1', '2']]) });
    case 2:
      return serialize.describe({ type: rng.bool() ? 'S' : 'P', name: rng.bool() ? name : portal });
    case 3:
      return serialize.execute({ portal, rows: rng.pick([0, 1, 2]) });
    case 4:
      return serialize.close({ type: rng.bool() ? 'S' : 'P', name: rng.bool() ? name : portal });
    case 5:
      return serialize.flush();
    case 6:
      return serialize.sync();
    case 7:
      return serialize.query(sql);
    case 8:
      return serialize.copyData(rng.bytes(rng.int(0, 20)));
    default:
      return serialize.query(`${sql}; SELECT 2`);
  }
}

// ------------------------------------------------------------------------------ fuzz

describe('protocol fuzzing against a running server', () => {
  it('random startup packets: FATAL with a SQLSTATE, a session, or waiting for the rest of an incomplete packet', async () => {
    const counts = await fuzz(
      160,
      async (rng, i) => {
        let bytes: Buffer;
        const shape = rng.int(0, 5);
        if (shape === 0) bytes = rng.bytes(rng.int(1, 300));
        else if (shape === 1) {
          // A plausible length with a random code and body.
          const body = rng.bytes(rng.int(0, 60));
          bytes = startupPacket(rng.uint32(), body);
        } else if (shape === 2) {
          // Protocol 3.0 with random (possibly unterminated) parameters.
          bytes = startupPacket(PROTOCOL_3_0, rng.bytes(rng.int(0, 80)));
        } else if (shape === 3) {
          // Valid user and database plus random extra parameters, keys and values.
          const extra = Buffer.from(`${rng.ascii(rng.int(1, 12)).replace(/\0/g, '')}\0${rng.ascii(rng.int(0, 12))}\0`);
          bytes = startupPacket(PROTOCOL_3_0, Buffer.concat([Buffer.from('user\0root\0database\0dev\0'), extra, Buffer.from([0])]));
        } else {
          // A lying length field: negative, tiny, huge, or longer than what follows.
          const len = rng.pick([-1, -0x7fffffff, 0, 3, 7, 10_001, 0x7fffffff, rng.int(40, 9000)]);
          bytes = startupPacket(PROTOCOL_3_0, Buffer.from('user\0root\0\0'), len);
        }
        // What the server must do follows from the length field alone.
        const len = bytes.length >= 4 ? bytes.readInt32BE(0) : NaN;
        const lengthInvalid = len < 8 || len > 10_000;
        const incomplete = bytes.length < 4 || (!lengthInvalid && bytes.length < len);
        // Give a decision time to arrive (slow under load); an incomplete packet just waits.
        const o = await runCase(bytes, { startup: false, probe: false, label: `startup shape ${shape}`, waitMs: incomplete ? 150 : CASE_TIMEOUT_MS });
        if (incomplete) expect(o.kind, `case ${i}`).toBe('waiting');
        else if (lengthInvalid) expect(o, `case ${i}`).toMatchObject({ kind: 'fatal', error: { code: '08P01' } });
        else {
          const code = bytes.readInt32BE(4);
          // SSLRequest/GSSENCRequest would get 'N'; a CancelRequest closes silently.
          if (![SSL_REQUEST_CODE, GSSENC_REQUEST_CODE, CANCEL_REQUEST_CODE].includes(code)) {
            // A complete packet is never left unanswered; only valid user+database may log in.
            expect(shape === 3 ? ['fatal', 'session'] : ['fatal'], `case ${i}`).toContain(o.kind);
          }
        }
        return o;
      },
      1,
    );
    expect(counts.fatal).toBeGreaterThan(40);
  });

  it('random bytes after a completed startup: FATAL and close, or ERRORs and the session goes on', async () => {
    const counts = await fuzz(
      120,
      async (rng) => {
        const o = await runCase(rng.bytes(rng.int(1, 400)), { startup: true, probe: false, label: 'random bytes', waitMs: 150 });
        expect(o.kind).not.toBe('silent-close');
        return o;
      },
      2,
    );
    expect(counts.fatal).toBeGreaterThan(60);
  });

  it('well-framed messages with random bodies: FATAL 08P01-style or recover, then answer a probe query', async () => {
    const counts = await fuzz(
      200,
      async (rng) => {
        const frames: Buffer[] = [];
        let terminates = false;
        for (let k = rng.int(1, 4); k > 0; k--) {
          const type = rng.bool(0.9) ? rng.pick([...FE_TYPES]) : String.fromCharCode(rng.int(0, 256));
          let body: Buffer;
          if (rng.bool(0.5)) body = rng.bytes(rng.int(0, 40));
          else {
            // A valid message's body, mutated: bit flips, truncation or extra bytes.
            body = Buffer.from(validMessage(rng).subarray(5));
            const how = rng.int(0, 3);
            if (how === 0 && body.length) for (let f = 0; f < 2; f++) body[rng.int(0, body.length)] ^= 1 << rng.int(0, 8);
            else if (how === 1) body = body.subarray(0, rng.int(0, body.length + 1));
            else body = Buffer.concat([body, rng.bytes(rng.int(1, 8))]);
          }
          if (type === 'X') terminates = true;
          frames.push(frame(type, body));
        }
        const o = await runCase(Buffer.concat(frames), { startup: true, label: 'framed' });
        if (o.kind === 'silent-close') expect(terminates, 'closed silently without a Terminate').toBe(true);
        expect(o.kind, 'the server must answer or close, not hang').not.toBe('waiting');
        return o;
      },
      3,
    );
    // Both outcomes really occur, so both paths are exercised.
    expect(counts.fatal).toBeGreaterThan(20);
    expect(counts.continues).toBeGreaterThan(10);
  });

  it('random pipelines of valid messages in any order never end the connection', async () => {
    const counts = await fuzz(
      150,
      async (rng) => {
        const msgs: Buffer[] = [];
        for (let k = rng.int(1, 20); k > 0; k--) msgs.push(validMessage(rng));
        const o = await runCase(Buffer.concat(msgs), { startup: true, label: 'valid pipeline' });
        expect(o.kind).toBe('continues');
        return o;
      },
      4,
    );
    expect(counts.continues).toBe(150);
  });

  it('valid streams cut at random points and sent in random chunks give the same answers', async () => {
    const stream = Buffer.concat([
      serialize.parse({ name: 'q', text: 'SELECT g, g * 2 FROM generate_series(1, $1::INT) AS g', types: [23] }),
      serialize.bind({ statement: 'q', values: ['4'] }),
      serialize.describe({ type: 'P' }),
      serialize.execute({ rows: 3 }),
      serialize.execute({}),
      serialize.sync(),
      serialize.query('SELECT \'done\' AS d; SELECT 1 / 0'),
    ]);
    const reference = await RawPgClient.connect(server.port);
    await reference.startup();
    reference.send(stream);
    const expected = [...(await reference.untilReady()), ...(await reference.untilReady())].map(describeMessage);
    reference.close();
    expect(expected).toContain('portalSuspended');
    expect(expected.join()).toContain('22012');

    const rng = new Prng(SEED);
    for (let round = 0; round < 25; round++) {
      const c = await RawPgClient.connect(server.port);
      await c.startup();
      let pos = 0;
      while (pos < stream.length) {
        const n = Math.min(stream.length - pos, rng.int(1, 40));
        c.send(stream.subarray(pos, pos + n));
        pos += n;
        if (rng.bool(0.3)) await new Promise((r) => setTimeout(r, 1));
      }
      const got = [...(await c.untilReady()), ...(await c.untilReady())].map(describeMessage);
      c.close();
      expect(got, `round ${round}`).toEqual(expected);
    }

    // And truncated streams followed by a disconnect leave nothing behind.
    for (let round = 0; round < 40; round++) {
      const c = await RawPgClient.connect(server.port);
      c.send(Buffer.concat([serialize.startup({ user: 'root', database: 'dev' }), stream]).subarray(0, rng.int(1, stream.length + 40)));
      await c.settle(5);
      c.close();
    }
  });
});

// ------------------------------------------------------------------------------ specific abuse

async function connected(): Promise<RawPgClient> {
  const c = await RawPgClient.connect(server.port);
  await c.startup();
  return c;
}

async function expectFatal(c: RawPgClient, code: string): Promise<void> {
  const ms = await c.untilClosed(CASE_TIMEOUT_MS);
  const last = ms[ms.length - 1];
  expect(last && isError(last) ? `${last.severity} ${last.code}` : ms.map(describeMessage).join(', ')).toBe(`FATAL ${code}`);
}

describe('malformed and out-of-order messages, one at a time', () => {
  it.each([
    ['negative length', '08P01', frame('Q', Buffer.alloc(0), -1)],
    ['length 0', '08P01', frame('S', Buffer.alloc(0), 0)],
    ['length 3', '08P01', frame('S', Buffer.alloc(0), 3)],
    ['length 2^31-1 (oversized)', '54000', frame('Q', Buffer.alloc(0), 0x7fffffff)],
    ['Query of 65 MiB claimed', '54000', frame('Q', Buffer.alloc(0), 65 * 1024 * 1024)],
    ['unknown message type', '08P01', frame('!', Buffer.alloc(0))],
    ['password message after startup', '08P01', serialize.password('x')],
    ['Sync with a body', '08P01', frame('S', Buffer.from('junk'))],
    ['Parse with an unterminated statement name', '08P01', frame('P', Buffer.from('abc'))],
    ['Bind claiming 30000 parameters', '08P01', frame('B', Buffer.from([0, 0, 0, 0, 0x75, 0x30]))],
    ['Describe of an unknown kind', '08P01', frame('D', Buffer.from('Zname\0'))],
  ])('%s → FATAL %s', async (_label, code, bytes) => {
    const c = await connected();
    c.send(bytes);
    await expectFatal(c, code);
  });

  it('a second StartupMessage after startup is rejected at once, not buffered as a 10 KB message', async () => {
    const c = await connected();
    c.send(serialize.startup({ user: 'root', database: 'dev' }));
    // PostgreSQL checks the message type byte (0x00 here) before reading a length.
    await expectFatal(c, '08P01');
  });

  it('a Sync/Flush/Terminate claiming a huge length is rejected at once (PostgreSQL limits small messages to 10000 bytes)', async () => {
    for (const type of ['S', 'H', 'X', 'E', 'C', 'D']) {
      const c = await connected();
      c.send(frame(type, Buffer.alloc(0), 1_000_000));
      await expectFatal(c, '08P01');
    }
  });

  it('recoverable errors in the extended protocol: ERROR, skip to Sync, then the session works', async () => {
    const c = await connected();
    const cases: [Buffer[], string][] = [
      [[serialize.bind({ statement: 'never_parsed' })], '26000'],
      [[serialize.execute({ portal: 'no_portal' })], '34000'],
      [[serialize.describe({ type: 'S', name: 'no_stmt' })], '26000'],
      [[serialize.describe({ type: 'P', name: 'no_portal' })], '34000'],
      [[serialize.parse({ text: 'SELECT 1' }), serialize.execute({})], '34000'],
      [[serialize.parse({ name: 'dup', text: 'SELECT 1' }), serialize.parse({ name: 'dup', text: 'SELECT 2' })], '42P05'],
      [[serialize.parse({ text: 'SELECT $1::INT' }), serialize.bind({ values: [] })], '08P01'],
      [[serialize.parse({ text: 'SELECT $1::INT' }), serialize.bind({ values: ['nope'] }), serialize.execute({})], '22P02'],
      [[serialize.parse({ text: 'SELECT 1' }), serialize.bind({}), serialize.execute({}), serialize.execute({ portal: 'gone' })], '34000'],
    ];
    for (const [msgs, code] of cases) {
      // Messages after the error up to Sync are skipped: this Query must produce nothing.
      c.send(...msgs, serialize.query('SELECT \'skipped\''), serialize.sync());
      const ms = await c.untilReady();
      const errors = ms.filter(isError);
      expect(errors.map((e) => `${e.severity} ${e.code}`), ms.map(describeMessage).join(', ')).toEqual([`ERROR ${code}`]);
      expect(ms.some((m) => m.name === 'dataRow' && (m as unknown as { fields: string[] }).fields[0] === 'skipped')).toBe(false);
      c.send(serialize.query('SELECT 41 + 1 AS answer'));
      const ok = await c.untilReady();
      expect(ok.map(describeMessage)).toEqual(['rowDescription', 'dataRow', 'commandComplete(SELECT 1)', 'readyForQuery']);
      expect((ok[1] as unknown as { fields: string[] }).fields).toEqual(['42']);
    }
    expect(c.closed).toBe(false);
    c.close();
  });

  it('a Query before startup completes is a bad startup packet; a Query pipelined right after startup runs', async () => {
    const early = await RawPgClient.connect(server.port);
    early.send(serialize.query('SELECT 1'));
    await expectFatal(early, '08P01');

    const pipelined = await RawPgClient.connect(server.port);
    pipelined.send(serialize.startup({ user: 'root', database: 'dev' }), serialize.query('SELECT 5 AS five'));
    await pipelined.untilReady();
    const ms = await pipelined.untilReady();
    expect((ms.find((m) => m.name === 'dataRow') as unknown as { fields: string[] }).fields).toEqual(['5']);
    pipelined.close();
  });

  it('a Query instead of the password answer is FATAL 08P01', async () => {
    const c = await RawPgClient.connect(server.port);
    c.send(serialize.startup({ user: 'fuzz_pw', database: 'dev' }));
    await c.until((m) => m.name.startsWith('authentication'), CASE_TIMEOUT_MS, 'an authentication request');
    c.send(serialize.query('SELECT 1'));
    await expectFatal(c, '08P01');
  });

  it('garbage SCRAM and password messages are FATAL', async () => {
    for (const garbage of [frame('p', Buffer.from('SCRAM-SHA-256\0\0\0\0\x05hello')), frame('p', Buffer.alloc(0)), frame('p', Buffer.from([0xff, 0xfe]))]) {
      const c = await RawPgClient.connect(server.port);
      c.send(serialize.startup({ user: 'fuzz_pw', database: 'dev' }));
      await c.until((m) => m.name.startsWith('authentication'), CASE_TIMEOUT_MS, 'an authentication request');
      c.send(garbage);
      const ms = await c.untilClosed(CASE_TIMEOUT_MS);
      const last = ms[ms.length - 1];
      expect(last && isError(last) && last.severity).toBe('FATAL');
      expect(['08P01', '28P01', '28000']).toContain(last && isError(last) && last.code);
    }
  });

  it('SSLRequest and GSSENCRequest are answered N; garbage after them is FATAL, a real startup after them works', async () => {
    for (const code of [SSL_REQUEST_CODE, GSSENC_REQUEST_CODE]) {
      const bad = await RawPgClient.connect(server.port);
      bad.expectRaw();
      bad.send(startupPacket(code));
      expect(String.fromCharCode(await bad.readRawByte())).toBe('N');
      bad.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      await expectFatal(bad, '08P01');

      const good = await RawPgClient.connect(server.port);
      good.expectRaw();
      good.send(startupPacket(code));
      expect(String.fromCharCode(await good.readRawByte())).toBe('N');
      await good.startup();
      good.send(serialize.query('SELECT 1'));
      expect(messageNames(await good.untilReady())).toContain('dataRow');
      good.close();
    }
    // Two SSLRequests in a row: the second is not a startup packet either way.
    const c = await RawPgClient.connect(server.port);
    c.expectRaw();
    c.send(startupPacket(SSL_REQUEST_CODE));
    expect(String.fromCharCode(await c.readRawByte())).toBe('N');
    c.expectRaw();
    c.send(startupPacket(SSL_REQUEST_CODE));
    const second = await c.readRawByte().catch(() => undefined);
    // PostgreSQL answers a repeated SSLRequest with FATAL 08P01; 'N' again is tolerable.
    if (second !== 0x4e) {
      expect(second).toBe(0x45); // 'E': ErrorResponse
      await c.untilClosed();
    }
    c.close();
  });

  it('CancelRequests with bogus keys close silently and cancel nothing', async () => {
    // A statement running on another connection must survive bogus cancels.
    const victim = await RawPgClient.connect(server.port);
    victim.send(serialize.startup({ user: 'root', database: 'dev' }));
    const startupMsgs = await victim.untilReady();
    const kd = startupMsgs.find((m) => m.name === 'backendKeyData') as unknown as { processID: number; secretKey: number };
    expect(kd).toBeDefined();
    victim.send(serialize.query('SELECT count(*) FROM generate_series(1, 3000000)'));
    const rng = new Prng(SEED);
    const bogus: [number, number][] = [
      [kd.processID, kd.secretKey ^ 1],
      [kd.processID + 1000, kd.secretKey],
      [0, 0],
      [-1, -1],
      [rng.uint32(), rng.uint32()],
    ];
    for (const [pid, key] of bogus) {
      const cc = await RawPgClient.connect(server.port);
      cc.send(cancelRequest(pid, key));
      const ms = await cc.untilClosed(CASE_TIMEOUT_MS);
      expect(ms).toEqual([]);
    }
    // Truncated and oversized CancelRequests are malformed packets.
    for (const body of [Buffer.alloc(4), Buffer.alloc(0), Buffer.alloc(12)]) {
      const cc = await RawPgClient.connect(server.port);
      cc.send(startupPacket(CANCEL_REQUEST_CODE, body));
      const ms = await cc.untilClosed(CASE_TIMEOUT_MS);
      for (const m of ms) expect(isError(m) && m.severity).toBe('FATAL');
    }
    const res = await victim.untilReady(30_000);
    expect(res.filter(isError).map(describeMessage)).toEqual([]);
    expect((res.find((m) => m.name === 'dataRow') as unknown as { fields: string[] }).fields).toEqual(['3000000']);
    victim.close();
  });

  it('hundreds of connections opened and dropped mid-startup leave the server serving', async () => {
    const socks: RawPgClient[] = [];
    for (let i = 0; i < 200; i++) {
      const c = await RawPgClient.connect(server.port);
      if (i % 3 === 0) c.send(serialize.startup({ user: 'root', database: 'dev' }).subarray(0, 7));
      else if (i % 3 === 1) c.send(serialize.startup({ user: 'root', database: 'dev' }));
      socks.push(c);
    }
    for (const c of socks) c.close();
    const c = await connected();
    c.send(serialize.query('SELECT 1'));
    expect(messageNames(await c.untilReady())).toContain('dataRow');
    c.close();
  });
});
