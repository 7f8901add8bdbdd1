/** Test helper for the Kafka reader's tests (not part of the package's API). */
import type { SourceMessage } from '../format/types';
import type { KafkaReader } from './reader';

/** Polls `r` until `n` messages arrived; fails after `ms`. */
export async function drain(r: KafkaReader, n: number, ms = 15_000): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    if (Date.now() > deadline) throw new Error(`got ${out.length} of ${n} messages`);
    out.push(...r.poll(n - out.length));
    await new Promise((res) => setTimeout(res, 10));
  }
  return out;
}
