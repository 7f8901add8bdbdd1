/**
 * Checkpoint uploads and restores, against a local directory and against s3rver: an empty
 * data dir restores the latest complete checkpoint; corrupt or missing objects make it
 * fall back to the previous manifest (or refuse when none is complete); old checkpoints
 * are deleted beyond the configured history.
 */
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { T } from '@freshet/common';
import { MemStateStore } from '@freshet/stream';
import { type S3TestServer, startS3rver } from '@freshet/testkit';
import { type StorageOptions, openStorage } from '../open';
import type { StorageEngine } from '../api';
import { Db } from '../db';
import type { ObjectStore } from './api';
import { LocalDirObjectStore } from './local-dir';
import { CheckpointUploader } from './uploader';
import { S3ObjectStore } from './s3';
import { hashFile, sha256 } from './format';

const SCHEMA = { types: [T.Int32, T.Varchar], pk: [0] };

async function open(opts: StorageOptions, logs: string[] = []): Promise<StorageEngine> {
  const s = openStorage({ uploadIntervalMs: 60_000, ...opts, log: (m) => logs.push(m) });
  await s.open();
  await s.tablesLoading;
  s.createTable(1, SCHEMA);
  return s;
}

async function insert(s: StorageEngine, from: number, to: number): Promise<void> {
  const b = s.newBatch();
  for (let i = from; i < to; i++) b.put(1, [i, `row ${i}`]);
  await s.commit(b);
}

const ids = (s: StorageEngine) => [...s.table(1).scan()].map((r) => r[0]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** The objects under `dir` (paths relative to it), a log's parts in offset order. */
function objectFiles(dir: string): string[] {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile());
  const offset = (f: string) => Number(/\.log\.(\d+)$/.exec(f)?.[1] ?? -1);
  return files.sort((a, b) => offset(a) - offset(b) || a.localeCompare(b));
}
const logParts = (dir: string) => objectFiles(dir).filter((f) => /\.log\.\d+$/.test(f));

describe('checkpoints in a local directory', () => {
  let root: string;
  let dataDir: string;
  let storeDir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'freshet-objstore-'));
    dataDir = join(root, 'data');
    storeDir = join(root, 'store');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /**
   * Three uploads: rows 0-9, 10-19, 20-29, each a part of LevelDB's log (too few rows for a
   * table file); then the data dir is lost.
   */
  async function threeUploads(history?: number): Promise<void> {
    const s = await open({ dataDir, objectStore: storeDir, checkpointHistory: history });
    const state = s.openStateStore(new MemStateStore())!;
    state.checkpointFrequency = 1;
    await insert(s, 0, 10);
    state.table(5).write(1, 'k', ['state at epoch 1']);
    await state.commitEpoch(1);
    await s.uploadCheckpoint();
    await insert(s, 10, 20);
    await s.uploadCheckpoint();
    await insert(s, 20, 30);
    await s.uploadCheckpoint();
    expect(s.objectStoreStatus()).toMatchObject({ lastError: null, pendingBytes: 0 });
    expect(s.objectStoreStatus()?.lastManifest).toMatchObject({ checkpoint: { epoch: 1 } });
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  it('restores the latest checkpoint into an empty data dir: tables, catalog, state', async () => {
    const s = await open({ dataDir, objectStore: storeDir });
    const b = s.newBatch();
    b.putMeta('catalog/x', { hello: 1 });
    await s.commit(b);
    await s.close();
    await threeUploads();
    const logs: string[] = [];
    const r = openStorage({ dataDir, objectStore: storeDir, log: (m) => logs.push(m) });
    const meta = await r.open();
    await r.tablesLoading;
    r.createTable(1, SCHEMA);
    expect(meta.get('catalog/x')).toEqual({ hello: 1 });
    expect(ids(r)).toEqual(range(0, 30));
    const state = r.openStateStore(new MemStateStore())!;
    expect(state.recovered?.epoch).toBe(1);
    expect(state.table(5).getCommitted('k')).toEqual(['state at epoch 1']);
    expect(logs.join('\n')).toMatch(/restored from object store .*checkpoint manifests\/0+\d\.json/);
    // It carries on: new writes upload from the restored database.
    await insert(r, 30, 31);
    await r.uploadCheckpoint();
    expect(r.objectStoreStatus()?.lastError).toBeNull();
    await r.close();
  });

  it('falls back to the previous checkpoint when an object is truncated, garbled or missing', async () => {
    await threeUploads();
    const data = join(storeDir, 'data');
    expect(logParts(data)).toHaveLength(3);
    truncateSync(join(data, logParts(data)[2]), 10); // the last part: manifest 3 unusable
    const logs: string[] = [];
    let r = await open({ dataDir, objectStore: storeDir }, logs);
    expect(ids(r)).toEqual(range(0, 20));
    expect(logs.join('\n')).toMatch(/checkpoint manifests\/0+3\.json is unusable \(object data\/.*\.log\.\d+ has 10 bytes, the manifest says \d+\)/);
    await r.close();

    // That node uploaded its database on close (it was ahead of the newest manifest), so
    // start over for the next corruption.
    rmSync(root, { recursive: true, force: true });
    await threeUploads();
    // Garbled (same size, wrong bytes) second part (manifests 2 and 3 name it), and a garbled newest manifest.
    const second = join(data, logParts(data)[1]);
    const body = readFileSync(second);
    body[body.length - 1] ^= 0xff;
    writeFileSync(second, body);
    writeFileSync(join(storeDir, 'manifests', '000000000099.json'), '{not json');
    logs.length = 0;
    r = await open({ dataDir, objectStore: storeDir }, logs);
    expect(ids(r)).toEqual(range(0, 10));
    expect(logs.join('\n')).toMatch(/000000000099\.json is unusable \(manifest .* is not valid JSON\)/);
    expect(logs.join('\n')).toMatch(/does not match its checksum/);
    await r.close();
  });

  it('a manifest naming a missing object is skipped; with no complete checkpoint startup is refused', async () => {
    await threeUploads();
    const data = join(storeDir, 'data');
    rmSync(join(data, logParts(data)[0])); // every manifest names the log's first part
    const r = openStorage({ dataDir, objectStore: storeDir, log: () => {} });
    await expect(r.open()).rejects.toThrow(/has 3 checkpoints and none is complete: object data\/.*\.log\.0 is missing/);
    await r.close().catch(() => {});
  });

  it('an unavailable object store: writes go on, uploads fail and are retried, nothing is lost', async () => {
    const logs: string[] = [];
    const s = await open({ dataDir, objectStore: storeDir }, logs);
    await insert(s, 0, 10);
    await s.uploadCheckpoint();
    renameSync(storeDir, `${storeDir}.away`);
    writeFileSync(storeDir, 'not a directory'); // every put fails (ENOTDIR)
    await insert(s, 10, 20); // local durability does not wait for the object store
    await s.uploadCheckpoint();
    expect(s.objectStoreStatus()?.lastError).toMatch(/upload failed \(retrying\)/);
    expect(s.objectStoreStatus()?.pendingBytes).toBeGreaterThan(0);
    await insert(s, 20, 22);
    await s.uploadCheckpoint();
    rmSync(storeDir); // the store comes back
    renameSync(`${storeDir}.away`, storeDir);
    await s.uploadCheckpoint();
    expect(s.objectStoreStatus()).toMatchObject({ lastError: null, pendingBytes: 0 });
    await insert(s, 20, 25);
    await s.uploadCheckpoint();
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
    const r = await open({ dataDir, objectStore: storeDir });
    expect(ids(r)).toEqual(range(0, 25));
    await r.close();
    expect(logs.filter((l) => /upload failed/.test(l)).length).toBe(1); // reported once, not per retry
  });

  it('an idle server (barriers and checkpoints with nothing changed) writes and uploads nothing', async () => {
    // Serving runs on the thread barriers and checkpoints run on: idle ones must cost ~nothing.
    const s = await open({ dataDir, objectStore: storeDir });
    const state = s.openStateStore(new MemStateStore())!;
    state.checkpointFrequency = 1;
    await insert(s, 0, 10);
    state.table(5).write(1, 'k', ['v']);
    await state.commitEpoch(1);
    await s.uploadCheckpoint();
    const objects = () => [...readdirSync(join(storeDir, 'manifests')), ...objectFiles(join(storeDir, 'data'))].sort();
    const before = objects();
    const wseq = (state as unknown as { db: { wseq: number } }).db.wseq;
    for (let e = 2; e <= 300; e++) await state.commitEpoch(e); // every one a checkpoint epoch
    await s.uploadCheckpoint();
    expect((state as unknown as { db: { wseq: number } }).db.wseq).toBe(wseq); // no LevelDB batch
    expect(objects()).toEqual(before); // no upload
    expect(state.lastCheckpoint?.epoch).toBe(1);
    // …and the state is still recovered whole from the checkpoint of epoch 1.
    await s.close();
    const r = await open({ dataDir, objectStore: storeDir });
    const restored = r.openStateStore(new MemStateStore())!;
    expect(restored.recovered?.epoch).toBe(1);
    expect(restored.table(5).get('k')).toEqual(['v']);
    expect(ids(r)).toEqual(range(0, 10));
    await r.close();
  });

  it('an upload slower than the interval: ticks meanwhile do not queue uploads, and one hung at shutdown is reported once', async () => {
    const db = new Db(dataDir);
    await db.open();
    // The local directory store, but a put waits until the test lets it go on (a hung network store).
    const local = new LocalDirObjectStore(storeDir);
    let release!: (ok: boolean) => void;
    const gate = new Promise<boolean>((r) => (release = r));
    let puts = 0;
    const hung: ObjectStore = {
      description: 'hung store',
      put: async (key, body) => {
        puts++;
        if (!(await gate)) throw new Error('connection reset');
        await local.put(key, body);
      },
      putFile: async (key, path) => {
        puts++;
        if (!(await gate)) throw new Error('connection reset');
        await local.putFile(key, path);
      },
      get: (key) => local.get(key),
      list: (prefix) => local.list(prefix),
      delete: (keys) => local.delete(keys),
    };
    const logs: string[] = [];
    const uploader = new CheckpointUploader(hung, db, () => null, { intervalMs: 5, log: (m) => logs.push(m) });
    await uploader.start();
    await db.write([{ type: 'put', key: Buffer.from('t/1/a'), value: Buffer.from('1') }]);
    await sleep(200); // ~40 ticks while the first upload hangs in its first put
    await db.write([{ type: 'put', key: Buffer.from('t/1/b'), value: Buffer.from('2') }]);
    expect(puts).toBe(1);
    await uploader.close(20); // gives up on the hung upload
    await db.close();
    release(false); // the store fails it now, with the database closed under it
    await sleep(50);
    expect(puts).toBe(1);
    expect(logs.filter((l) => /did not finish/.test(l))).toHaveLength(1);
  });

  it('keeps only the configured history', async () => {
    await threeUploads(2);
    const manifests = readdirSync(join(storeDir, 'manifests'));
    expect(manifests).toEqual(['000000000002.json', '000000000003.json']);
    // Every remaining object is named by a kept manifest: the log's three pieces, and the
    // part file holding the checkpoint's overlay segment (part-log.ts).
    const objects = objectFiles(join(storeDir, 'data'));
    expect(objects).toHaveLength(4);
    expect(objects.filter((o) => /\.parts\.0$/.test(o))).toHaveLength(1);
    const runs = () => readdirSync(join(storeDir, 'data'));
    const [firstRun] = runs();
    // A restored node uploads as a run of its own; once no kept manifest names the first
    // run's objects, they go, and so does their directory.
    const r = await open({ dataDir, objectStore: storeDir, checkpointHistory: 2 });
    await insert(r, 30, 40);
    await r.uploadCheckpoint();
    await insert(r, 40, 50);
    await r.uploadCheckpoint();
    await r.close();
    expect(runs()).toHaveLength(1);
    expect(runs()[0]).not.toBe(firstRun);
    rmSync(dataDir, { recursive: true, force: true });
    const again = await open({ dataDir, objectStore: storeDir });
    expect(ids(again)).toEqual(range(0, 50));
    await again.close();
  });
});

describe('checkpoints in S3 (s3rver)', () => {
  let s3: S3TestServer;
  let root: string;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    s3 = await startS3rver();
    for (const [k, v] of Object.entries(s3.env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await s3.stop();
  });
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'freshet-s3-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('puts, gets, lists and deletes objects byte-exactly', async () => {
    const store = new S3ObjectStore({ bucket: s3.bucket, prefix: 'raw/', endpoint: s3.endpoint, forcePathStyle: true });
    const body = Buffer.alloc(3 << 20, 7);
    body[12345] = 1;
    await store.put('a/1.bin', body);
    await store.put('a/2.bin', Buffer.from('x'));
    const file = join(root, 'file.bin');
    writeFileSync(file, body);
    await store.putFile('a/3.bin', file);
    expect(await store.list('a/')).toEqual(['a/1.bin', 'a/2.bin', 'a/3.bin']);
    expect((await store.get('a/1.bin'))!.equals(body)).toBe(true);
    expect((await store.get('a/3.bin'))!.equals(body)).toBe(true);
    await store.delete(['a/3.bin']);
    expect(await store.get('a/none')).toBeNull();
    await store.delete(['a/1.bin', 'a/none']);
    expect(await store.list('a/')).toEqual(['a/2.bin']);
    store.close();
  });

  it('an empty data dir restores from s3://bucket/prefix', async () => {
    const opts: StorageOptions = { dataDir: join(root, 'a'), objectStore: `s3://${s3.bucket}/node1`, s3: { endpoint: s3.endpoint, forcePathStyle: true } };
    const s = await open(opts);
    await insert(s, 0, 100);
    await s.uploadCheckpoint();
    await insert(s, 100, 150);
    await s.close(); // uploads the rest
    const r = await open({ ...opts, dataDir: join(root, 'b') });
    expect(ids(r)).toEqual(range(0, 150));
    await r.close();
  });

  it('local directory store links a file where it can, and copies it where it cannot', async () => {
    const store = new LocalDirObjectStore(join(root, 'store'));
    const file = join(root, 'table.ldb');
    writeFileSync(file, Buffer.alloc(3 << 20, 5));
    await store.putFile('d/t.ldb', file);
    expect(statSync(join(root, 'store', 'd', 't.ldb')).ino).toBe(statSync(file).ino);
    expect((await store.get('d/t.ldb'))!.equals(readFileSync(file))).toBe(true);
    // /dev/shm is another file system (tmpfs) here: no link across it.
    const shm = mkdtempSync('/dev/shm/freshet-objstore-');
    try {
      const other = new LocalDirObjectStore(shm);
      await other.putFile('d/t.ldb', file);
      expect(statSync(join(shm, 'd', 't.ldb')).ino).not.toBe(statSync(file).ino);
      expect((await other.get('d/t.ldb'))!.equals(readFileSync(file))).toBe(true);
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });

  it('hashes a file or a range of it in slices, letting the event loop run in between', async () => {
    const bytes = Buffer.alloc(6 << 20, 7);
    bytes[(3 << 20) + 5] = 1;
    const file = join(root, 'big.bin');
    writeFileSync(file, bytes);
    let turns = 0;
    let done = false;
    const tick = () => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const whole = await hashFile(file);
    done = true;
    expect(whole).toEqual({ size: bytes.length, sha256: sha256(bytes), body: null });
    // One read per MiB: in one go, the loop would not have turned at all.
    expect(turns).toBeGreaterThanOrEqual(5);
    // Read into a caller's buffer longer than the part: the body is a view of its start.
    const into = Buffer.alloc((3 << 20) + 7, 0xee);
    const part = await hashFile(file, 1000, (2 << 20) + 3, into);
    expect(part.body!.equals(bytes.subarray(1000, 1000 + (2 << 20) + 3))).toBe(true);
    expect(part.body!.buffer).toBe(into.buffer);
    expect(part.sha256).toBe(sha256(part.body!));
    await expect(hashFile(file, bytes.length - 10, 20, Buffer.alloc(20))).rejects.toThrow(/shorter than/);
    await expect(hashFile(file, 0, 20, Buffer.alloc(19))).rejects.toThrow(/cannot hold/);
  });

  it('local directory store lists nothing for an empty root', async () => {
    expect(await new LocalDirObjectStore(join(root, 'none')).list('')).toEqual([]);
  });
});
