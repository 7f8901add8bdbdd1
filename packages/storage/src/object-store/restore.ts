/**
 * Restores an empty data dir from the object store: the newest manifest whose objects are
 * all present and intact (size and SHA-256 checked before anything is applied) is written
 * into the local LevelDB. A manifest that is unreadable or names a missing, truncated or
 * garbled object is reported and skipped in favour of the previous one. If manifests exist
 * but none is complete, startup is refused: starting empty would silently lose the data.
 *
 * The restore is bracketed by a marker key, so a crash during it is detected at the next
 * start, which clears the partial copy and restores again.
 */
import type { Db, DbOp } from '../db';
import { WSEQ_KEY } from '../db';
import type { ObjectStore } from './api';
import { MANIFEST_PREFIX, type Manifest, objectBatches, parseManifest, verifyObject } from './format';

const RESTORING_KEY = Buffer.from('x/restoring');

/** True if the database is empty or holds an interrupted restore (which is cleared). */
export async function needsRestore(db: Db): Promise<boolean> {
  if (await db.level.get(RESTORING_KEY)) {
    await db.level.clear();
    return true;
  }
  for await (const _ of db.level.keys({ limit: 1 })) return false;
  return true;
}

export async function restoreFromObjectStore(store: ObjectStore, db: Db, log: (msg: string) => void): Promise<Manifest | null> {
  const keys = (await store.list(MANIFEST_PREFIX)).reverse();
  if (keys.length === 0) return null;
  const problems: string[] = [];
  for (const key of keys) {
    let m: Manifest;
    let bodies: Buffer[];
    try {
      const body = await store.get(key);
      if (!body) throw new Error(`manifest ${key} disappeared`);
      m = parseManifest(key, body);
      bodies = [];
      for (const o of m.objects) {
        const b = await store.get(o.key);
        const bad = verifyObject(o, b);
        if (bad) throw new Error(bad);
        bodies.push(b!);
      }
    } catch (e) {
      const msg = (e as Error).message;
      problems.push(msg);
      log(`object store ${store.description}: checkpoint ${key} is unusable (${msg}); trying the previous one`);
      continue;
    }
    await db.level.put(RESTORING_KEY, Buffer.from('1'), { sync: true });
    for (let i = 0; i < m.objects.length; i++) {
      for (const ops of objectBatches(m.objects[i], bodies[i])) await db.applyUnlogged(ops);
    }
    const w = Buffer.allocUnsafe(8);
    w.writeBigUInt64BE(BigInt(m.wseq));
    const finish: DbOp[] = [
      { type: 'put', key: WSEQ_KEY, value: w },
      { type: 'del', key: RESTORING_KEY },
    ];
    await db.applyUnlogged(finish, true);
    await db.reload();
    log(
      `restored from object store ${store.description}: checkpoint ${key} (${m.objects.length} objects${m.checkpoint ? `, stream epoch ${m.checkpoint.epoch}` : ''}, cut at ${new Date(m.cutAt).toISOString()})`,
    );
    return m;
  }
  throw new Error(`object store ${store.description} has ${keys.length} checkpoints and none is complete: ${problems.join('; ')}`);
}
