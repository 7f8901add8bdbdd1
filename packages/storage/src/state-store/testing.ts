/** Helpers for the state store's tests over real LevelDB. */
import { Db } from '../db';

/** Every LevelDB key (latin1) starting with `prefix`, read with the storage closed. */
export async function keysWithPrefix(dir: string, prefix: string): Promise<string[]> {
  const db = new Db(dir);
  await db.open();
  const out: string[] = [];
  const lo = Buffer.from(prefix, 'latin1');
  const hi = Buffer.from(prefix, 'latin1');
  hi[hi.length - 1]++;
  for await (const k of db.level.keys({ gte: lo, lt: hi })) out.push(k.toString('latin1'));
  await db.close();
  return out;
}
