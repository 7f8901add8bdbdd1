// Loaded with `NODE_OPTIONS=--import <this file>` (node refuses --cpu-prof in NODE_OPTIONS):
// profiles the whole process with the in-process inspector and writes a .cpuprofile into
// $FRESHET_CPU_PROF_DIR when the process exits. The inspector session of the main thread
// answers synchronously, so stopping the profiler works inside an 'exit' handler.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.FRESHET_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 200 µs sampling: fine enough for a sub-millisecond request path.
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `freshet-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
