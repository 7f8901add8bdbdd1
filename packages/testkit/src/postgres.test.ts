import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { startPostgres, type PostgresServer } from './postgres';

describe('startPostgres', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves queries on a loopback port with logical WAL', async () => {
    const client = new pg.Client(server.url);
    await client.connect();
    const r = await client.query('SHOW wal_level');
    expect(r.rows[0].wal_level).toBe('logical');
    const v = await client.query('SHOW server_version_num');
    expect(Number(v.rows[0].server_version_num)).toBeGreaterThanOrEqual(150000);
    await client.end();
  });

  it('removes its data dir on stop', async () => {
    const other = await startPostgres();
    expect(existsSync(other.dataDir)).toBe(true);
    await other.stop();
    expect(existsSync(other.dataDir)).toBe(false);
  });
});
