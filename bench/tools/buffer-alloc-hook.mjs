// Loaded with `--import <this file>` (or BENCH_FRESHET_NODE_OPTIONS for the server): counts
// the bytes that Buffer's allocating functions hand out, by call site, and prints the top
// sites to stderr when the process exits (or FRESHET_BUFFER_PROF_STOP_S seconds after start).
//
// Why: V8 starts a full mark of the heap whenever the memory held outside it (ArrayBuffer
// backing stores, which every Buffer has) grows 64 MiB past what the last full collection
// left. On a heap of millions of state rows each of those marks costs seconds of CPU, so
// Buffer bytes that live past a scavenge are what decides how often they come (sessions
// 13–17, docs/performance.md). The heap profiler does not see backing stores; this does.
//
// While they are young, the same bytes force a scavenge for about every 32 MiB of them,
// whatever the young generation's size (session 25). Typed arrays of more than 64 bytes have
// such a store too: with FRESHET_BUFFER_PROF_TYPED=1 the typed-array constructors are counted
// as well (load this file after tsx then: `--import tsx --import <this file>`, since esbuild
// refuses to start once `Uint8Array` is replaced).
//
// Sampling: a stack is taken once per SAMPLE_BYTES handed out, and charged with them, so
// the cost stays small while the figures are byte-weighted. Buffers made in native code
// (socket reads, LevelDB reads) are not seen, nor typed arrays made by `slice` or `map`.
const SAMPLE_BYTES = 64 * 1024;
const FRAMES = Number(process.env.FRESHET_BUFFER_PROF_FRAMES ?? 4);
const TOP = Number(process.env.FRESHET_BUFFER_PROF_TOP ?? 25);

const bySite = new Map();
let total = 0;
let pending = 0;

function charge(bytes) {
  total += bytes;
  pending += bytes;
  if (pending < SAMPLE_BYTES) return;
  const charged = pending;
  pending = 0;
  const lines = (new Error().stack ?? '').split('\n').slice(3, 3 + FRAMES);
  const site = lines.map((l) => l.trim().replace(/^at /, '').replace(/\(file:\/\/[^)]*\/(packages|bench)\//, '($1/')).join(' < ');
  bySite.set(site, (bySite.get(site) ?? 0) + charged);
}

// Calls into a wrapped function from inside another (`concat` allocates with `allocUnsafe`)
// are not charged again: only the outermost call is.
let depth = 0;
const wrap = (name, size) => {
  const original = Buffer[name];
  Buffer[name] = function (...args) {
    depth++;
    let b;
    try {
      b = original.apply(this, args);
    } finally {
      depth--;
    }
    if (depth === 0) charge(size(b, args));
    return b;
  };
};
wrap('alloc', (b) => b.length);
wrap('allocUnsafe', (b) => b.length);
wrap('allocUnsafeSlow', (b) => b.length);
wrap('concat', (b) => b.length);
// A view of an existing ArrayBuffer allocates no backing store.
wrap('from', (b, args) => (args[0] instanceof ArrayBuffer ? 0 : b.length));

// Typed arrays made with a length: the constructors are replaced by subclasses that charge
// what they allocate outside the heap (V8 keeps those of 64 bytes or less on it).
if (process.env.FRESHET_BUFFER_PROF_TYPED === '1') {
  const typed = ['Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
  for (const name of typed) {
    const Original = globalThis[name];
    const Counted = class extends Original {
      constructor(...args) {
        super(...args);
        if (typeof args[0] === 'number' && this.byteLength > 64) charge(this.byteLength);
      }
    };
    Object.defineProperty(Counted, 'name', { value: name });
    globalThis[name] = Counted;
  }
}

const started = Date.now();
let reported = false;
function report() {
  if (reported) return;
  reported = true;
  const secs = (Date.now() - started) / 1000;
  const rows = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  const mb = (n) => (n / 2 ** 20).toFixed(1);
  const what = process.env.FRESHET_BUFFER_PROF_TYPED === '1' ? 'Buffer and typed-array bytes' : 'Buffer bytes';
  const out = [`${what} handed out: ${mb(total)} MiB in ${secs.toFixed(1)} s (pid ${process.pid}); by call site, sampled every ${SAMPLE_BYTES / 1024} KiB:`];
  for (const [site, bytes] of rows) out.push(`${mb(bytes).padStart(9)} MiB ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${site}`);
  process.stderr.write(`${out.join('\n')}\n`);
}
process.once('exit', report);
const stopAfter = Number(process.env.FRESHET_BUFFER_PROF_STOP_S ?? 0);
if (stopAfter > 0) setTimeout(report, stopAfter * 1000).unref();
