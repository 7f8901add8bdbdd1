import { describe, expect, it } from 'vitest';
import { TableLocks } from './table-locks';

/** Whether `p` has settled after the microtasks queued now have run. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('TableLocks', () => {
  it('grants shared locks at once, and the exclusive one when the last is released', async () => {
    const locks = new TableLocks();
    expect(locks.shared(1)).toBeNull();
    expect(locks.shared(1)).toBeNull();
    expect(locks.shared(2)).toBeNull();
    const ex = locks.exclusive(1);
    expect(await settled(ex)).toBe(false);
    locks.release(1, false);
    expect(await settled(ex)).toBe(false);
    locks.release(1, false);
    expect(await settled(ex)).toBe(true);
    // Another table is not held up.
    expect(locks.shared(2)).toBeNull();
  });

  it('holds new shared requests behind a waiting exclusive one, then grants them together', async () => {
    const locks = new TableLocks();
    expect(locks.shared(1)).toBeNull();
    const ex = locks.exclusive(1);
    const a = locks.shared(1);
    const b = locks.shared(1);
    expect(a).not.toBeNull();
    locks.release(1, false);
    expect(await settled(ex)).toBe(true);
    expect(await settled(a!)).toBe(false);
    const ex2 = locks.exclusive(1);
    locks.release(1, true);
    // Both shared waiters are granted; the second exclusive waits for them.
    expect(await settled(a!)).toBe(true);
    expect(await settled(b!)).toBe(true);
    expect(await settled(ex2)).toBe(false);
    locks.release(1, false);
    locks.release(1, false);
    expect(await settled(ex2)).toBe(true);
    locks.release(1, true);
    // Free again: a shared request is granted at once.
    expect(locks.shared(1)).toBeNull();
    locks.release(1, false);
    expect(() => locks.release(1, false)).toThrow(/not held/);
  });
});
