/**
 * Restores a data dir without a database from the object store: the newest manifest whose
 * objects are all present and intact (size and SHA-256 checked as each is fetched) is
 * written out as LevelDB's files — its tables, its logs' parts back to back, and a
 * MANIFEST for its version (leveldb-files/install.ts) — and LevelDB then opens it as it
 * recovers from a crash. A manifest that is unreadable or names a missing, truncated or
 * garbled object is reported and skipped in favour of the previous one. If manifests exist
 * but none is complete, startup is refused: starting empty would silently lose the data.
 *
 * The files are written into a directory beside the database's and renamed into place only
 * when complete, so a crash during a restore leaves no database, and the next start
 * restores again.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installVersion } from '../leveldb-files/install';
import type { ObjectStore } from './api';
import { MANIFEST_PREFIX, type Manifest, parseManifest, verifyObject, versionOf } from './format';

/** The directory a restore writes into before it becomes the database's (`dbDir`). */
const restoringDir = (dbDir: string) => `${dbDir}.restoring`;

/** True if `dbDir` holds no database (a restore that was interrupted is cleared). */
export function needsRestore(dbDir: string): boolean {
  rmSync(restoringDir(dbDir), { recursive: true, force: true });
  return !existsSync(join(dbDir, 'CURRENT'));
}

export async function restoreFromObjectStore(store: ObjectStore, dbDir: string, log: (msg: string) => void): Promise<Manifest | null> {
  const keys = (await store.list(MANIFEST_PREFIX)).reverse();
  if (keys.length === 0) return null;
  const problems: string[] = [];
  const dir = restoringDir(dbDir);
  for (const key of keys) {
    let m: Manifest;
    try {
      const body = await store.get(key);
      if (!body) throw new Error(`manifest ${key} disappeared`);
      m = parseManifest(key, body);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await writeFiles(store, m, dir);
      installVersion(dir, versionOf(m));
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      const msg = (e as Error).message;
      problems.push(msg);
      log(`object store ${store.description}: checkpoint ${key} is unusable (${msg}); trying the previous one`);
      continue;
    }
    // A database dir without CURRENT (a LevelDB that never finished creating) goes.
    rmSync(dbDir, { recursive: true, force: true });
    await rename(dir, dbDir);
    log(
      `restored from object store ${store.description}: checkpoint ${key} (${m.objects.length} objects${m.checkpoint ? `, stream epoch ${m.checkpoint.epoch}` : ''}, cut at ${new Date(m.cutAt).toISOString()})`,
    );
    return m;
  }
  throw new Error(`object store ${store.description} has ${keys.length} checkpoints and none is complete: ${problems.join('; ')}`);
}

/** Fetches, checks and writes every object of `m` into `dir`, each file fsynced. */
async function writeFiles(store: ObjectStore, m: Manifest, dir: string): Promise<void> {
  for (const o of m.objects) {
    const body = await store.get(o.key);
    const bad = verifyObject(o, body);
    if (bad) throw new Error(bad);
    const path = join(dir, o.name);
    if (o.kind === 'log') {
      // A log's parts follow each other: each must start where the file written so far ends.
      const at = existsSync(path) ? statSync(path).size : 0;
      if (o.offset !== at) throw new Error(`object ${o.key} starts log ${o.name} at ${o.offset}, its earlier parts end at ${at}`);
      await writeFile(path, body!, { flag: 'a' });
    } else {
      if (existsSync(path)) throw new Error(`manifest names table ${o.name} twice`);
      await writeFile(path, body!);
    }
  }
  for (const name of new Set(m.objects.map((o) => o.name))) {
    const fd = openSync(join(dir, name), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
