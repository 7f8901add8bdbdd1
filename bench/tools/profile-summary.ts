/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `npm run bench -- --profile DIR`):
 * the functions with the most self time, and the most inclusive time, as plain text. A
 * .heapprofile (sampled allocations: FRESHET_ALLOC_PROF_DIR=DIR with any bench that starts
 * Freshet, bench/tools/cpu-profile-hook.mjs) is summarised as bytes allocated per function.
 *
 *   node --import tsx bench/tools/profile-summary.ts DIR-or-file.{cpu,heap}profile [--top N]
 *     [--long-tasks MS]  (instead: the stretches of MS or more the thread spent in one task)
 *     [--from S] [--to S]  (self and inclusive time of that window only, seconds from the start)
 *     [--stack N]  (heap profiles: sites named by N frames, the allocating function's callers too)
 *
 * Frames in a file with a source map beside it (`<file>.map`: the server's bundle,
 * dist/freshet/cli-*.mjs) are named by their place in the TypeScript sources.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  selfMs: number;
  totalMs: number;
}

/** Source maps by generated file (null: it has none). */
const sourceMaps = new Map<string, SourceMap | null>();
const labels = new Map<string, string>();

function sourceMapOf(file: string): SourceMap | null {
  let m = sourceMaps.get(file);
  if (m === undefined) {
    const path = `${file}.map`;
    m = existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : null;
    sourceMaps.set(file, m);
  }
  return m;
}

function label(f: CallFrame, root: string): string {
  const file = f.url.replace(/^file:\/\//, '');
  const col = f.columnNumber ?? 0;
  const cacheKey = `${root}\0${f.functionName}\0${file}\0${f.lineNumber}\0${col}`;
  const known = labels.get(cacheKey);
  if (known !== undefined) return known;
  let where = '';
  // findEntry gives {} where nothing maps; the source is relative to the map's directory.
  const original = (file ? sourceMapOf(file)?.findEntry(f.lineNumber, col) : undefined) as { originalSource?: string; originalLine?: number } | undefined;
  if (original?.originalSource !== undefined && original.originalLine !== undefined) {
    const src = original.originalSource.startsWith('file://') ? fileURLToPath(original.originalSource) : resolve(dirname(file), original.originalSource);
    where = `${relative(root, src) || src}:${original.originalLine + 1}`;
  } else if (file) {
    // The column too: the server's bundle is built without line breaks (bin/bundle.js), so
    // functions of the same name would otherwise read as one.
    where = `${relative(root, file) || file}:${f.lineNumber + 1}:${col + 1}`;
  }
  const l = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
  labels.set(cacheKey, l);
  return l;
}

/** Self and inclusive time per function (recursion counted once per sample). */
export function summarize(p: CpuProfile, root = process.cwd(), window: { fromMs: number; toMs: number } = { fromMs: 0, toMs: Infinity }): { totalMs: number; functions: FunctionTime[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let totalUs = 0;
  let atUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    atUs += dt;
    if (atUs < window.fromMs * 1000 || atUs > window.toMs * 1000) continue;
    totalUs += dt;
    let id: number | undefined = p.samples[i];
    const leaf = label(byId.get(id)!.callFrame, root);
    self.set(leaf, (self.get(leaf) ?? 0) + dt);
    const seen = new Set<string>();
    while (id !== undefined) {
      const l = label(byId.get(id)!.callFrame, root);
      if (!seen.has(l)) {
        seen.add(l);
        total.set(l, (total.get(l) ?? 0) + dt);
      }
      id = parent.get(id);
    }
  }
  const functions = [...total.entries()].map(([name, t]) => ({ name, selfMs: (self.get(name) ?? 0) / 1000, totalMs: t / 1000 }));
  return { totalMs: totalUs / 1000, functions };
}

/** A stretch of consecutive samples under one task (one macrotask, or one kind of them back to back). */
export interface LongTask {
  startMs: number;
  durationMs: number;
  /** The task's entry frame (the root's child every sample of it is under). */
  entry: string;
  /** The frames it spent the most time under, inclusive, with ms. */
  frames: [string, number][];
  /** Of `durationMs`, the time in garbage collection. */
  gcMs: number;
}

/**
 * Tasks of at least `minMs`: runs of consecutive non-idle samples under the same child of
 * the root (the task's entry: a timer, an immediate, a socket read…), garbage collection
 * counted with the task it interrupted. Two tasks of the same entry back to back read as
 * one, so a stretch is an upper bound for its longest task: what the event loop (every
 * lookup, every barrier) waited behind. From `npm run bench -- … ` with
 * FRESHET_CPU_PROF_DIR=DIR BENCH_FRESHET_NODE_OPTIONS="--import bench/tools/cpu-profile-hook.mjs".
 */
export function longTasks(p: CpuProfile, minMs: number, root = process.cwd()): LongTask[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const rootId = p.nodes[0].id;
  const entryOf = (id: number) => {
    let x = id;
    for (let up = parent.get(x); up !== undefined && up !== rootId; up = parent.get(x)) x = up;
    return x;
  };
  const out: LongTask[] = [];
  let cur: { entry: number; start: number; end: number; samples: [number, number][] } | null = null;
  const close = () => {
    if (cur !== null && (cur.end - cur.start) / 1000 >= minMs) {
      const incl = new Map<string, number>();
      let gcUs = 0;
      for (const [id, dt] of cur.samples) {
        if (byId.get(id)!.callFrame.functionName === '(garbage collector)') gcUs += dt;
        const seen = new Set<string>();
        for (let x: number | undefined = id; x !== undefined && x !== rootId; x = parent.get(x)) {
          const l = label(byId.get(x)!.callFrame, root);
          if (!seen.has(l)) {
            seen.add(l);
            incl.set(l, (incl.get(l) ?? 0) + dt / 1000);
          }
        }
      }
      out.push({
        startMs: (cur.start - p.startTime) / 1000,
        durationMs: (cur.end - cur.start) / 1000,
        entry: label(byId.get(cur.entry)!.callFrame, root),
        frames: [...incl].sort((a, b) => b[1] - a[1]),
        gcMs: gcUs / 1000,
      });
    }
    cur = null;
  };
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const id = p.samples[i];
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') {
      close();
      continue;
    }
    const entry: number = name === '(garbage collector)' && cur !== null ? cur.entry : entryOf(id);
    if (cur !== null && cur.entry === entry) {
      cur.end = t;
      cur.samples.push([id, p.timeDeltas[i] ?? 0]);
    } else {
      close();
      cur = { entry, start: t, end: t, samples: [[id, p.timeDeltas[i] ?? 0]] };
    }
  }
  close();
  return out;
}

interface HeapProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapProfileNode[];
}

/**
 * Bytes allocated per function of a sampling heap profile, largest first. With `depth` > 1 a
 * site is the allocating function and its callers, `depth` frames in all (innermost first,
 * joined by ' < '): `slice` alone does not say whose Buffers those are.
 */
export function allocationSites(head: HeapProfileNode, root = process.cwd(), depth = 1): { totalBytes: number; sites: [string, number][] } {
  const sites = new Map<string, number>();
  let totalBytes = 0;
  const path: string[] = [];
  const walk = (n: HeapProfileNode) => {
    path.push(label(n.callFrame, root));
    if (n.selfSize > 0) {
      const l = path.slice(Math.max(1, path.length - depth)).reverse().join(' < ');
      sites.set(l, (sites.get(l) ?? 0) + n.selfSize);
      totalBytes += n.selfSize;
    }
    for (const c of n.children) walk(c);
    path.pop();
  };
  walk(head);
  return { totalBytes, sites: [...sites].sort((a, b) => b[1] - a[1]) };
}

function printHeapProfile(f: string, top: number, depth: number): void {
  const { totalBytes, sites } = allocationSites((JSON.parse(readFileSync(f, 'utf8')) as { head: HeapProfileNode }).head, process.cwd(), depth);
  console.log(`\n${f}: ${(totalBytes / 2 ** 20).toFixed(1)} MiB allocated (sampled estimate)`);
  for (const [name, b] of sites.slice(0, top)) console.log(`  ${((b / totalBytes) * 100).toFixed(1).padStart(5)}%  ${(b / 2 ** 20).toFixed(1).padStart(8)} MiB  ${name}`);
}

function main(): void {
  const args = process.argv.slice(2);
  const topIdx = args.indexOf('--top');
  const top = topIdx >= 0 ? Number(args.splice(topIdx, 2)[1]) : 30;
  const stackIdx = args.indexOf('--stack');
  const stackDepth = stackIdx >= 0 ? Number(args.splice(stackIdx, 2)[1]) : 1;
  const longIdx = args.indexOf('--long-tasks');
  const longMs = longIdx >= 0 ? Number(args.splice(longIdx, 2)[1]) : null;
  // A window of the profile in seconds from its start (e.g. a bench's measured phase, not its preload).
  const fromIdx = args.indexOf('--from');
  const fromMs = fromIdx >= 0 ? Number(args.splice(fromIdx, 2)[1]) * 1000 : 0;
  const toIdx = args.indexOf('--to');
  const toMs = toIdx >= 0 ? Number(args.splice(toIdx, 2)[1]) * 1000 : Infinity;
  const target = args[0];
  const usage = [
    'usage: profile-summary.ts <file.cpuprofile | file.heapprofile | dir> [--top N] [--long-tasks MS] [--from S] [--to S]',
    '  --top N          functions to list (default 30)',
    '  --long-tasks MS  instead of totals: the stretches of MS or more the thread spent in one task',
    '  --from S --to S  only the samples between S and S seconds from the profile start',
    '  --stack N        (heap profiles) a site is the allocating function and its callers, N frames',
  ].join('\n');
  if (target === '--help' || target === '-h') {
    console.log(usage);
    return;
  }
  if (!target) {
    console.error(usage);
    process.exit(2);
  }
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith('.cpuprofile') || f.endsWith('.heapprofile'))
        .map((f) => join(target, f))
    : [target];
  for (const f of files) {
    if (f.endsWith('.heapprofile')) {
      printHeapProfile(f, top, stackDepth);
      continue;
    }
    if (longMs !== null) {
      const tasks = longTasks(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile, longMs);
      console.log(`\n${f}: ${tasks.length} tasks of ${longMs} ms or more`);
      for (const t of tasks) {
        console.log(`\n  at ${(t.startMs / 1000).toFixed(2)} s: ${t.durationMs.toFixed(0)} ms in ${t.entry}, ${t.gcMs.toFixed(0)} ms of it garbage collection`);
        for (const [name, ms] of t.frames.slice(1, 1 + Math.min(top, 12))) console.log(`    ${ms.toFixed(0).padStart(5)} ms  ${name}`);
      }
      continue;
    }
    const { totalMs, functions } = summarize(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile, process.cwd(), { fromMs, toMs });
    const pct = (ms: number) => `${((ms / totalMs) * 100).toFixed(1).padStart(5)}%`;
    console.log(`\n${f}: ${(totalMs / 1000).toFixed(1)} s sampled`);
    console.log('\nself time:');
    for (const fn of [...functions].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) console.log(`  ${pct(fn.selfMs)}  ${fn.name}`);
    console.log('\ninclusive time:');
    for (const fn of [...functions].sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) console.log(`  ${pct(fn.totalMs)}  ${fn.name}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
