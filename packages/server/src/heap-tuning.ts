/**
 * V8 heap sizing for a server with `--memory-limit` (docs/durability.md, bounded memory).
 *
 * Between two full collections V8 lets its old generation grow to up to 4× what survived
 * the last one: it trades memory for fewer collections. Under a memory limit most of the
 * live heap is the state cache, and a fast load keeps turning it over (every entry evicted
 * is garbage, every key read back from LevelDB a new object), so the heap ran at 3–4× its
 * live size: a 5M-key MV filling under a 64 MiB limit used 300–450 MiB of heap for ~110 MiB
 * of live objects (process RSS 693 MiB). With a limit the old generation may grow by
 * HEAP_GROWING_PERCENT over what is live instead — heap ≈ 1.5× live, at the price of more
 * frequent full collections (most of their marking runs on V8's helper threads).
 *
 * V8 reads this flag whenever it recomputes its limits after a collection, so setting it at
 * start-up, after V8 is initialised, takes effect (unlike the heap size limits, which are
 * fixed at start; a hard `--max-old-space-size` would also crash the process instead of
 * collecting more often). What must be set before start (the young generation, malloc's
 * arenas) the `freshet` launcher sets (bin/freshet); the heap the state cache really takes
 * is bounded at run time by memory-manager.ts.
 */
import { setFlagsFromString } from 'node:v8';

/** Old-generation growth over live bytes allowed between full collections, percent. */
export const HEAP_GROWING_PERCENT = 50;

/** Applies the heap sizing for a memory-limited server (no-op without a limit). */
export function tuneHeapForMemoryLimit(memoryLimit: number | undefined): void {
  if (!memoryLimit) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
