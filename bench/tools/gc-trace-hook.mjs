// Loaded with `--import <this file>` (for the bench's server,
// BENCH_FRESHET_NODE_OPTIONS="--import bench/tools/gc-trace-hook.mjs"): turns on V8's
// --trace-gc-nvp, which prints one line of name=value pairs per collection to stdout.
// Node refuses --trace-gc-nvp in NODE_OPTIONS; V8 reads it whenever a collection ends, so
// setting it once the process runs works. Only this line per collection tells how long the
// main thread spent marking in small steps between the pauses (`incremental=`), which a
// perf_hooks 'gc' entry does not: under a load that is most of a full collection's stall.
// With FRESHET_TEST_VERBOSE=1 the bench copies the server's output to its stderr; read it
// with bench/tools/gc-summary.ts.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--trace-gc-nvp');
