// Loaded with `NODE_OPTIONS=--import <this file>` (node refuses --cpu-prof in NODE_OPTIONS):
// profiles the whole process with the in-process inspector and writes, when the process
// exits, a .cpuprofile into $FRESHET_CPU_PROF_DIR and/or a .heapprofile into
// $FRESHET_ALLOC_PROF_DIR. The inspector session of the main thread answers synchronously,
// so stopping the profilers works inside an 'exit' handler. FRESHET_PROF_STOP_S=S stops and
// saves them S seconds after start instead: a server still busy when the harness stops it
// may be killed (testkit: SIGKILL 5 s after SIGTERM) before it exits; FRESHET_PROF_START_S=S
// starts them S seconds after start (past a preload). FRESHET_ALLOC_PROF_SURVIVORS=1 keeps
// only the allocations that outlived the young generation (V8 drops a sample when a scavenge
// frees its object): the bytes promoted into the old generation, whose growth sets how often
// a mark-compact runs and how much it has to mark.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const cpuDir = process.env.FRESHET_CPU_PROF_DIR;
const allocDir = process.env.FRESHET_ALLOC_PROF_DIR;
if (cpuDir || allocDir) {
  const session = new Session();
  session.connect();
  const save = (dir, ext, profile) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `freshet-${process.pid}-${Date.now()}.${ext}`), JSON.stringify(profile));
  };
  const start = () => {
    if (cpuDir) {
      session.post('Profiler.enable');
      // 200 µs sampling: fine enough for a sub-millisecond request path.
      session.post('Profiler.setSamplingInterval', { interval: 200 });
      session.post('Profiler.start');
    }
    if (allocDir) {
      // Every allocation, the ones scavenges and mark-compacts later collect included: those
      // are the garbage whose collection stalls the engine thread (GC work ∝ bytes allocated);
      // or, with FRESHET_ALLOC_PROF_SURVIVORS=1, the promoted ones only.
      session.post('HeapProfiler.enable');
      const survivorsOnly = process.env.FRESHET_ALLOC_PROF_SURVIVORS === '1';
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: !survivorsOnly,
      });
    }
  };
  const startAfter = Number(process.env.FRESHET_PROF_START_S);
  let started = !(startAfter > 0);
  if (started) start();
  else
    setTimeout(() => {
      started = true;
      start();
    }, startAfter * 1000).unref();
  let stopped = false;
  const stop = () => {
    if (stopped || !started) return;
    stopped = true;
    if (cpuDir) session.post('Profiler.stop', (err, res) => err || save(cpuDir, 'cpuprofile', res.profile));
    if (allocDir) session.post('HeapProfiler.stopSampling', (err, res) => err || save(allocDir, 'heapprofile', res.profile));
  };
  process.once('exit', stop);
  const stopAfter = Number(process.env.FRESHET_PROF_STOP_S);
  if (stopAfter > 0) setTimeout(stop, stopAfter * 1000).unref();
}
