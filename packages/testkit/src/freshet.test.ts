import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { startFreshet, type FreshetServer } from './freshet';

describe('startFreshet', () => {
  let server: FreshetServer;
  beforeAll(async () => {
    server = await startFreshet();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('starts `freshet start` on a free port with its own data dir and answers queries', async () => {
    expect(server.dataDir && existsSync(server.dataDir)).toBe(true);
    const client = new pg.Client(server.url);
    await client.connect();
    const r = await client.query('SELECT 1 AS one');
    expect(r.rows).toEqual([{ one: 1 }]);
    await client.end();
  });

  it('kill9 leaves the data dir for a restart; stop removes a testkit-made dir', async () => {
    const first = await startFreshet();
    const dir = first.dataDir!;
    await first.kill9();
    expect(existsSync(dir)).toBe(true);
    const second = await startFreshet({ dataDir: dir, removeDataDir: true });
    await second.stop();
    expect(existsSync(dir)).toBe(false);
  });

  it('reports the log when the server cannot start', async () => {
    await expect(startFreshet({ args: ['--no-such-flag'], startTimeoutMs: 15_000 })).rejects.toThrow(/exited before accepting|unknown option/);
  });
});
