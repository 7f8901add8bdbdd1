/**
 * The postgres-cdc reader against a real PostgreSQL 15 (wal_level=logical, started here):
 * snapshot, streaming of INSERT/UPDATE/DELETE incl. key changes, type mapping, positions,
 * confirmation only through `committed`, and an upstream restart.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Row, T, formatDatum, listOf } from '@freshet/common';
import { type PostgresServer, postgresBinDir, startPostgres } from '@freshet/testkit';
import type { SourceChange, SourceSpec } from '../api';
import { postgresCdcConnector } from './connector';
import { cdcTableOptions } from './config';
import { PostgresCdcReader } from './reader';
import { restartPostgres, slotLsn, until } from './test-util';

let server: PostgresServer;
let client: pg.Client;

const connect = async () => {
  const c = new pg.Client({ connectionString: server.url });
  c.on('error', () => {});
  await c.connect();
  return c;
};

beforeAll(async () => {
  server = await startPostgres();
  client = await connect();
}, 60_000);

afterAll(async () => {
  await client?.end().catch(() => {});
  await server?.stop();
});

function options(extra: Record<string, string>): Record<string, string> {
  return { connector: 'postgres-cdc', hostname: server.host, port: String(server.port), username: server.user, password: 'x', 'database.name': 'postgres', ...extra };
}

function open(name: string, opts: Record<string, string>, columns: SourceSpec['columns'], logs: string[] = []): PostgresCdcReader {
  const spec: SourceSpec = { name, connector: 'postgres-cdc', options: opts, columns };
  postgresCdcConnector.validate(spec);
  return postgresCdcConnector.open!(spec, { now: () => Date.now(), log: (m) => logs.push(m) }) as PostgresCdcReader;
}

/** Applies changes to a key → row map (the way a table with a primary key applies them). */
class Table {
  readonly rows = new Map<string, Row>();
  constructor(private readonly types: SourceSpec['columns'], private readonly key = 0) {}
  apply(changes: SourceChange[]): void {
    for (const c of changes) {
      const k = String(c.row[this.key]);
      if (c.op === 'delete') this.rows.delete(k);
      else this.rows.set(k, c.row);
    }
  }
  text(): string[] {
    return [...this.rows.values()].map((r) => r.map((d, i) => (d === null ? 'NULL' : formatDatum(this.types[i].type, d, 'UTC'))).join('|')).sort();
  }
}

async function drain(reader: PostgresCdcReader, table: Table, until_: () => boolean, ms = 15000): Promise<void> {
  await until(() => {
    table.apply(reader.pullChanges(1000));
    return until_();
  }, ms, 'changes');
}

describe('postgres-cdc reader', () => {
  it('snapshot, then inserts, updates (incl. key changes) and deletes, with types', async () => {
    await client.query(`CREATE TABLE typed (id int PRIMARY KEY, s smallint, b bigint, n numeric(10,2), f4 real, f8 double precision,
      t text, v varchar(10), ok boolean, d date, tm time, ts timestamp, tz timestamptz, j jsonb, by bytea, arr int[], iv interval)`);
    await client.query(`INSERT INTO typed VALUES (1, 2, 9007199254740993, 12.50, 1.5, 0.1, 'a''b', 'v', true, '2024-02-29', '12:34:56.789',
      '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02', '{"k": [1, 2]}', '\\x00ff', '{1,NULL,3}', '1 day 02:00:00'), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    const cols = [
      { name: 'id', type: T.Int32 }, { name: 's', type: T.Int16 }, { name: 'b', type: T.Int64 }, { name: 'n', type: T.Decimal },
      { name: 'f4', type: T.Float32 }, { name: 'f8', type: T.Float64 }, { name: 't', type: T.Varchar }, { name: 'v', type: T.Varchar },
      { name: 'ok', type: T.Boolean }, { name: 'd', type: T.Date }, { name: 'tm', type: T.Time }, { name: 'ts', type: T.Timestamp },
      { name: 'tz', type: T.Timestamptz }, { name: 'j', type: T.Jsonb }, { name: 'by', type: T.Bytea }, { name: 'arr', type: listOf(T.Int32) },
      { name: 'iv', type: T.Interval },
    ];
    const reader = open('typed', options({ 'table.name': 'typed', 'slot.name': 'typed_slot' }), cols);
    const table = new Table(cols);
    try {
      const row1 = '1|2|9007199254740993|12.50|1.5|0.1|a\'b|v|t|2024-02-29|12:34:56.789|2024-01-02 03:04:05.123456|2024-01-02 01:04:05+00:00|{"k": [1, 2]}|\\x00ff|{1,NULL,3}|1 day 02:00:00';
      const row2 = '2|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL';
      await drain(reader, table, () => table.rows.size === 2);
      expect(table.text()).toEqual([row1, row2]);
      expect(reader.offsets().lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);

      await client.query(`INSERT INTO typed (id, t) VALUES (3, 'three')`);
      await client.query(`UPDATE typed SET t = 'two' WHERE id = 2`);
      await client.query(`UPDATE typed SET id = 30 WHERE id = 3`); // key change
      await client.query(`DELETE FROM typed WHERE id = 1`);
      await drain(reader, table, () => table.rows.has('30') && !table.rows.has('1') && !table.rows.has('3'));
      expect([...table.rows.keys()].sort()).toEqual(['2', '30']);
      expect(table.text()[0]).toMatch(/^2\|.*\|two\|/);
      expect(table.text()[1]).toMatch(/^30\|.*\|three\|/);
    } finally {
      await reader.close();
    }
  }, 30_000);

  it('confirms the slot only through committed(), resumes from a position, and survives an upstream restart', async () => {
    await client.query('CREATE TABLE acct (id int PRIMARY KEY, bal int)');
    await client.query('INSERT INTO acct SELECT g, g * 10 FROM generate_series(1, 100) g');
    const cols = [{ name: 'id', type: T.Int32 }, { name: 'bal', type: T.Int32 }];
    // A table of a shared source: the source's options plus the table, with its own slot.
    const opts = cdcTableOptions(options({ 'slot.name': 'shared', 'publication.name': 'pub_acct' }), 'public.acct');
    expect(opts['slot.name']).toBe('shared_public_acct');
    const logs: string[] = [];
    let reader = open('acct', opts, cols, logs);
    const table = new Table(cols);
    await drain(reader, table, () => table.rows.size === 100);
    const created = await slotLsn(client, 'shared_public_acct');
    await client.query('UPDATE acct SET bal = bal + 1 WHERE id <= 10');
    await drain(reader, table, () => table.rows.get('10')?.[1] === 101);
    // Nothing confirmed yet: the slot still holds everything.
    expect(await slotLsn(client, 'shared_public_acct')).toBe(created);
    const pos = reader.offsets();
    reader.committed(pos);
    await until(async () => (await slotLsn(client, 'shared_public_acct')) === pos.lsn, 10000, 'confirmed_flush_lsn');

    // Upstream restart mid-stream: the reader reconnects and carries on.
    void client.end().catch(() => {}); // its connection dies with the restart
    await restartPostgres(server, postgresBinDir()!);
    client = await connect();
    await client.query('DELETE FROM acct WHERE id > 90');
    await client.query('INSERT INTO acct VALUES (500, 5)');
    await drain(reader, table, () => table.rows.size === 91 && table.rows.has('500'), 30000);
    expect(logs.some((l) => l.includes('retrying'))).toBe(true);
    const pos2 = reader.offsets();
    await reader.close();

    // A new reader at the last position (what a checkpoint stores) streams only what is newer.
    await client.query('UPDATE acct SET bal = 0 WHERE id = 500');
    reader = open('acct', opts, cols);
    reader.seek(pos2);
    const seen: SourceChange[] = [];
    await until(() => {
      seen.push(...reader.pullChanges(1000));
      return seen.length >= 1;
    }, 15000, 'resumed change');
    await new Promise((r) => setTimeout(r, 300));
    seen.push(...reader.pullChanges(1000));
    expect(seen.map((c) => [c.op, ...c.row])).toEqual([['upsert', 500, 0]]);
    await reader.close();

    // Same query upstream and on the replicated rows.
    table.apply(seen);
    const up = await client.query('SELECT id, bal FROM acct ORDER BY id');
    expect(table.text()).toEqual(up.rows.map((r) => `${r.id}|${r.bal}`).sort());
  }, 45_000);
});
