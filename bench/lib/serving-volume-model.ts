/**
 * The data of the serving-volume scenario (issue 7's "≥ 50× faster than query-time
 * aggregation" at seed 004's data volume): a few users per volume level, each with exactly
 * that many transactions inside the 24-hour window. Seed 004 describes the naive query "on a
 * table with millions of rows per user over a 24-hour window"; the serving scenario's presets
 * give hot users 1,000–10,000 (quick) or 1,000–20,000 (full), so this model grows the rows
 * per user level by level (default 1k, 10k, 100k, 1M) to find where the 50× is reached.
 *
 * Users of level g are the contiguous range volumeUsers(p, g), so the load generator can
 * draw keys uniformly from one level. Transactions arrive interleaved — each user's events
 * spread evenly over the whole load, as concurrent users' streams would — and their
 * columns are serving-model's transactionRow (same merchants, amounts, statuses).
 */

export interface VolumePlan {
  /** Transactions per user at each level, ascending. */
  volumes: number[];
  usersPerVolume: number;
}

export const DEFAULT_VOLUMES: readonly number[] = [1_000, 10_000, 100_000, 1_000_000];
export const DEFAULT_USERS_PER_VOLUME = 3;

/** Users [lo, hi] of level g (0-based). */
export function volumeUsers(p: VolumePlan, g: number): [number, number] {
  return [g * p.usersPerVolume + 1, (g + 1) * p.usersPerVolume];
}

/** Transactions of `user` (1-based): its level's volume. */
export function volumeOfUser(p: VolumePlan, user: number): number {
  return p.volumes[Math.floor((user - 1) / p.usersPerVolume)];
}

export function volumeTransactionCount(p: VolumePlan): number {
  return p.usersPerVolume * p.volumes.reduce((a, v) => a + v, 0);
}

/**
 * The user of every transaction, in load order: user u's j-th event sits at (j + ½) / n_u
 * of the load, and events are emitted in that order (ties: lower user first). A linear
 * scan per event over the few users is cheap (a dozen users, a few million events).
 */
export function volumeUserSequence(p: VolumePlan): Int32Array {
  const users = p.volumes.length * p.usersPerVolume;
  const n = Float64Array.from({ length: users }, (_, u) => volumeOfUser(p, u + 1));
  const next = new Float64Array(users);
  const out = new Int32Array(volumeTransactionCount(p));
  for (let i = 0; i < out.length; i++) {
    let best = -1;
    let bestAt = Infinity;
    for (let u = 0; u < users; u++) {
      if (next[u] >= n[u]) continue;
      const at = (next[u] + 0.5) / n[u];
      if (at < bestAt) {
        bestAt = at;
        best = u;
      }
    }
    next[best]++;
    out[i] = best + 1;
  }
  return out;
}

/** `--sizes` and `--users` of the CLI → the plan (defaults above); volumes sorted, deduplicated. */
export function volumePlan(sizes: readonly number[] | undefined, users: number | undefined): VolumePlan {
  const volumes = [...new Set((sizes?.length ? sizes : DEFAULT_VOLUMES).map((v) => Math.round(v)))].sort((a, b) => a - b);
  for (const v of volumes) if (!(v >= 1)) throw new Error(`serving-volume: rows per user must be ≥ 1, got ${v}`);
  return { volumes, usersPerVolume: users ?? DEFAULT_USERS_PER_VOLUME };
}

/** The smallest volume at which every given ratio reaches `goal`, or null. */
export function firstVolumeReaching(rows: readonly { volume: number; ratios: readonly number[] }[], goal: number): number | null {
  const hit = rows.filter((r) => r.ratios.length > 0 && r.ratios.every((x) => x >= goal)).map((r) => r.volume);
  return hit.length ? Math.min(...hit) : null;
}
