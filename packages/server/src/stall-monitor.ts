/**
 * Opt-in diagnostic (FRESHET_STALL_LOG=1): every 10 s, one log line with the event loop's
 * delay (p99 / max of `monitorEventLoopDelay`), the stalls over 1 ms by size, the garbage
 * collections over 1 ms by kind, and the process CPU — so a serving tail (docs/performance.md,
 * "Serving") can be attributed to GC, to engine work (barriers, checkpoints: compare with
 * the engine's own log lines) or to CPU contention (stalls with no GC and little CPU).
 * Off by default: the 1 ms probe timer costs ~1% of a core.
 */
import { type IntervalHistogram, PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';

export interface StallMonitor {
  /** The summary line of the window so far (and starts a new window). */
  report(): string;
  stop(): void;
}

/** Stall buckets, ms (a stall = how late the 1 ms probe timer fired). */
const BUCKETS = [1, 2, 5, 10] as const;
/** GC kinds (perf_hooks constants): minor = scavenge, major = mark-compact, incremental = a marking step, weakcb = weak callbacks. */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export function startStallMonitor(log: (line: string) => void, windowMs = 10_000): StallMonitor {
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const stalls = BUCKETS.map(() => 0);
  let worst = 0;
  let gc = new Map<string, { n: number; ms: number; max: number }>();
  let cpu = process.cpuUsage();
  let since = performance.now();
  let last = since;
  const probe = setInterval(() => {
    const now = performance.now();
    const late = now - last - 1;
    last = now;
    if (late <= 1) return;
    worst = Math.max(worst, late);
    for (let i = BUCKETS.length - 1; i >= 0; i--) {
      if (late > BUCKETS[i]) {
        stalls[i]++;
        break;
      }
    }
  }, 1);
  probe.unref();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration <= 1) continue;
      const kind = GC_KINDS[(e as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
      const g = gc.get(kind) ?? { n: 0, ms: 0, max: 0 };
      g.n++;
      g.ms += e.duration;
      g.max = Math.max(g.max, e.duration);
      gc.set(kind, g);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const report = (): string => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    const line =
      `event loop: p99 ${(delay.percentile(99) / 1e6).toFixed(2)} ms, max ${(delay.max / 1e6).toFixed(2)} ms; ` +
      `stalls ${BUCKETS.map((b, i) => `>${b}ms ${stalls[i]}`).join(' ')} (worst ${worst.toFixed(1)} ms); ` +
      `gc >1ms ${gc.size === 0 ? 'none' : [...gc].map(([k, g]) => `${k} ${g.n}× ${g.ms.toFixed(1)} ms (max ${g.max.toFixed(1)})`).join(', ')}; ` +
      `cpu ${((100 * (used.user + used.system)) / 1000 / (now - since)).toFixed(1)}%`;
    delay.reset();
    stalls.fill(0);
    worst = 0;
    gc = new Map();
    cpu = process.cpuUsage();
    since = now;
    return line;
  };
  const timer = setInterval(() => log(report()), windowMs);
  timer.unref();
  return {
    report,
    stop() {
      clearInterval(probe);
      clearInterval(timer);
      obs.disconnect();
      delay.disable();
    },
  };
}
