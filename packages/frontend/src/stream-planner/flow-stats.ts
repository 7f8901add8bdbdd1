/**
 * Read-only flow counters for the freshness view (rw_catalog.rw_mv_freshness) and
 * rw_streaming_jobs: how many changes went into and out of each MV's job, when its
 * latest epoch was committed, and whether its upstreams hold changes it does not show yet.
 *
 * Counting never touches an operator: a `FlowProbe` is one more downstream of the
 * executor whose output it counts (a table's DML source, an MV's materialize), so the
 * cost is one call per chunk and per barrier, nothing per row. The engine tells this
 * class which relation each probe belongs to and which upstreams a job reads.
 *
 * Rows in = snapshot rows the job's backfill read + changes its upstreams emitted since
 * it subscribed (a source's reader belongs to one job: all its rows are the job's). Both are known exactly because the engine takes a snapshot and
 * subscribes in one synchronous step: the upstream's counter at `noteUpstream` is the
 * baseline, and nothing can flow in between.
 */
import { StreamChunk } from '@freshet/common';
import { Barrier, type Executor, type Message, type Output } from '@freshet/stream';

/** Counts the changes an executor emits and remembers the last barrier that passed. */
export class FlowProbe implements Output {
  /** Rows (changes) emitted so far. */
  rows = 0;
  /** Wall clock (ms) of the latest chunk; 0 if none yet. */
  lastChangeAt = 0;
  /** Wall clock (ms) of the first chunk after the latest barrier; 0 if none since. */
  pendingSince = 0;
  /** Latest barrier seen, and its barrier time (ms since the Unix epoch). */
  epoch = 0;
  epochTime = 0;

  push(msg: Message): void {
    if (msg instanceof StreamChunk) {
      const n = msg.cardinality;
      if (n === 0) return;
      this.rows += n;
      const now = Date.now();
      this.lastChangeAt = now;
      if (this.pendingSince === 0) this.pendingSince = now;
    } else if (msg instanceof Barrier) {
      this.epoch = msg.epoch;
      this.epochTime = Math.floor(msg.time / 1000);
      this.pendingSince = 0;
    }
  }
}

interface UpstreamFlow {
  readonly id: number;
  readonly probe: FlowProbe | undefined;
  /** Set when the probe counts an executor of this job alone (a source reader), detached on drop. */
  readonly owned?: Executor;
  /** The upstream probe's count when the job subscribed. */
  readonly base: number;
  /** Rows of the upstream's snapshot the job backfilled from. */
  readonly snapshot: number;
}

interface JobFlow {
  readonly output: FlowProbe;
  readonly upstreams: readonly UpstreamFlow[];
}

/** One MV's flow, as the freshness view shows it (times in ms since the Unix epoch). */
export interface JobFlowStats {
  readonly rowsIn: number;
  readonly rowsOut: number;
  /** Latest epoch the MV committed, and its barrier time: the MV shows its sources as of then. */
  readonly committedEpoch: number;
  readonly committedAt: number | null;
  /** Latest change of any upstream (null if none since the job started). */
  readonly sourceChangedAt: number | null;
  /** Latest change of the MV's own rows. */
  readonly outputChangedAt: number | null;
  /** Age of the oldest upstream change the MV does not show yet (0: it shows everything). */
  readonly lagMs: number;
}

export class FlowStats {
  private readonly probes = new Map<number, { probe: FlowProbe; executor: Executor }>();
  private readonly jobs = new Map<number, JobFlow>();
  /** Upstreams noted for the job being built. */
  private building: UpstreamFlow[] = [];

  /** Starts counting `executor`'s output as relation `id`'s changes (idempotent). */
  watch(id: number, executor: Executor): void {
    if (this.probes.has(id)) return;
    const probe = new FlowProbe();
    executor.connect(probe);
    this.probes.set(id, { probe, executor });
  }

  unwatch(id: number): void {
    const p = this.probes.get(id);
    if (!p) return;
    p.executor.disconnect(p.probe);
    this.probes.delete(id);
  }

  /** A job is being built: forget upstreams noted by a build that failed. */
  beginJob(): void {
    this.building = [];
  }

  /** The job being built reads relation `id`, whose snapshot has `snapshotRows` rows now. */
  noteUpstream(id: number, snapshotRows: number): void {
    const probe = this.probes.get(id)?.probe;
    this.building.push({ id, probe, base: probe?.rows ?? 0, snapshot: snapshotRows });
  }

  /**
   * The job being built reads relation `id` through `executor`, its own (a source's
   * connector reader, one per job): counted by a probe the job owns.
   */
  noteUpstreamExecutor(id: number, executor: Executor): void {
    const probe = new FlowProbe();
    executor.connect(probe);
    this.building.push({ id, probe, base: 0, snapshot: 0, owned: executor });
  }

  /** The job of MV `id` is built: count its output, and its inputs from the noted upstreams. */
  startJob(id: number, output: Executor): void {
    this.watch(id, output);
    this.jobs.set(id, { output: this.probes.get(id)!.probe, upstreams: this.building });
    this.building = [];
  }

  /** The probe counting MV `id`'s materialize output (read-only use), or undefined. */
  outputProbe(id: number): Readonly<FlowProbe> | undefined {
    return this.jobs.get(id)?.output;
  }

  dropJob(id: number): void {
    const job = this.jobs.get(id);
    for (const u of job?.upstreams ?? []) if (u.owned && u.probe) u.owned.disconnect(u.probe);
    this.jobs.delete(id);
    this.unwatch(id);
  }

  job(id: number, now = Date.now()): JobFlowStats | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    let rowsIn = 0;
    let sourceChangedAt = 0;
    for (const u of job.upstreams) {
      rowsIn += u.snapshot + (u.probe ? u.probe.rows - u.base : 0);
      if (u.probe && u.probe.lastChangeAt > sourceChangedAt) sourceChangedAt = u.probe.lastChangeAt;
    }
    const out = job.output;
    return {
      rowsIn,
      rowsOut: out.rows,
      committedEpoch: out.epoch,
      committedAt: out.epoch > 0 ? out.epochTime : null,
      sourceChangedAt: sourceChangedAt || null,
      outputChangedAt: out.lastChangeAt || null,
      lagMs: this.lag(id, now, new Set()),
    };
  }

  /**
   * Age of the oldest change waiting in front of MV `id`: changes its direct upstreams
   * emitted after their last barrier, and (recursively) what upstream MVs wait for.
   */
  private lag(id: number, now: number, seen: Set<number>): number {
    const job = this.jobs.get(id);
    if (!job || seen.has(id)) return 0;
    seen.add(id);
    let lag = 0;
    for (const u of job.upstreams) {
      if (u.probe && u.probe.pendingSince > 0) lag = Math.max(lag, now - u.probe.pendingSince);
      lag = Math.max(lag, this.lag(u.id, now, seen));
    }
    return lag;
  }
}
