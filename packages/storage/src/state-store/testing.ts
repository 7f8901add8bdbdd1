/** Helpers for the storage tests over real LevelDB. Not used outside tests. */
import { Db } from '../db';

/** A seeded generator of numbers in [0, 1) (an LCG): tests replay the same cases. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

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
