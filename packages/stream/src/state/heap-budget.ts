/**
 * What a byte of the state cache's size estimate really costs in the heap, under a memory
 * limit (docs/durability.md, "Bounded memory").
 *
 * The cache weighs its entries by a sampled estimate (mem-store.ts `entryBytes`: the Map
 * slot, the entry, the key, the row). The process holds more for them than that: entries
 * written since the last checkpoint and their epoch logs, the group cache of aggregates,
 * batches being checkpointed, and the garbage the collector lets accumulate before it runs.
 * RisingWave's memory manager watches the allocator's real usage and evicts further when
 * it is over; the server's memory manager (packages/server/src/memory-manager.ts) does the
 * same from V8's heap statistics after each full collection and sets `scale` here, and the
 * cache multiplies its estimate by it, so the durable store's eviction (down to 85% of the
 * limit), early checkpoints and throttling all act on heap bytes rather than estimated ones.
 *
 * Process-wide because the heap is: one server per process. 1 (the estimate as it is)
 * unless a server with a limit runs, so tests and embedded engines are unaffected.
 */
export const stateHeapBudget = {
  /** Heap bytes per estimated byte of cached state, >= 1. */
  scale: 1,
};
