/**
 * A background produce load, in a worker thread of its own: a fixed produce rate (open
 * loop) must not share an event loop with the probes, or at high rates the probes' produce
 * and read timings measure the client's own congestion. Every tick it sends what is due —
 * all of it when behind, in requests of at most MAX_PER_REQUEST messages, with up to
 * IN_FLIGHT requests outstanding — so the achieved rate is the broker's and Freshet's limit,
 * not one request's round trip. Used by the connectors scenario's freshness part and by
 * `freshness --source kafka` (the seed's `user-events` messages); the parent side is
 * connectors-background-handle.ts. Messages go out through raw-kafka-producer.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { userEventMessage } from '../lib/feature-pipeline';
import { RawKafkaProducer } from '../lib/raw-kafka-producer';

/** Which message stream the worker produces (a function cannot cross into a worker). */
export type BackgroundMessageKind = 'fresh-events' | 'seed-user-events';

export interface BackgroundJob {
  bootstrap: string;
  topic: string;
  rate: number;
  users: number;
  partitions: number;
  tickMs: number;
  /** Default `fresh-events` (the connectors scenario's own topic). */
  message?: BackgroundMessageKind;
  /** Index of the first message (default 0): a later load continues the stream. */
  firstIndex?: number;
}

export interface BackgroundStats {
  achievedRate: number;
  /** Messages handed to the producer. */
  messages: number;
  /** Of those, acknowledged by the broker. */
  acked: number;
  maxLagMs: number;
  errors: number;
}

/** Posted by the worker: `acked` after every acknowledged request (the parent's view of what the broker holds). */
export type BackgroundEvent = { type: 'started' } | { type: 'acked'; acked: number } | { type: 'done'; stats: BackgroundStats };

const MAX_PER_REQUEST = 5_000;
const IN_FLIGHT = 4;

/** Background message i (the same stream as before the worker: user i·7919 mod users). */
export function backgroundMessage(i: number, users: number): string {
  return `{"user_id":${((i * 7919) % users) + 1},"seq":${i},"amount":${(i % 1000) / 10}}`;
}

/** Message i of `kind`; seed events are timestamped now (the MVs' windows are 30 min / 7 days). */
function messageOf(kind: BackgroundMessageKind): (i: number, users: number) => string {
  if (kind === 'fresh-events') return backgroundMessage;
  let cachedMs = 0;
  let cachedIso = '';
  return (i, users) => {
    const now = Date.now();
    if (now !== cachedMs) {
      cachedMs = now;
      cachedIso = new Date(now).toISOString();
    }
    return userEventMessage(i, users, cachedIso);
  };
}

async function main(job: BackgroundJob): Promise<void> {
  // The lean producer: kafkajs took ~11 µs of CPU per message (half a core at 50,000/s) from
  // the server under test on this 2-core machine; this takes ~2.4 (raw-kafka-producer.ts).
  const producer = await RawKafkaProducer.connect(job.bootstrap);
  const valueOf = messageOf(job.message ?? 'fresh-events');
  const first = job.firstIndex ?? 0;
  let stopped = false;
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let maxLagMs = 0;
  let inFlight = 0;
  const post = (e: BackgroundEvent) => parentPort!.postMessage(e);
  const t0 = performance.now();
  parentPort!.on('message', (m) => {
    if (m === 'stop') stopped = true;
  });
  post({ type: 'started' });
  while (!stopped) {
    const due = Math.floor(((performance.now() - t0) / 1000) * job.rate);
    if (due <= sent || inFlight >= IN_FLIGHT) {
      await new Promise((r) => setTimeout(r, inFlight >= IN_FLIGHT ? 1 : job.tickMs));
      continue;
    }
    maxLagMs = Math.max(maxLagMs, ((due - sent) / job.rate) * 1000);
    const from = sent;
    const n = Math.min(due - sent, MAX_PER_REQUEST);
    sent += n;
    const messages = Array.from({ length: n }, (_, j) => ({ value: valueOf(first + from + j, job.users), partition: (first + from + j) % job.partitions }));
    inFlight++;
    producer
      .send({ topic: job.topic, acks: -1, messages })
      .then(() => {
        acked += n;
        post({ type: 'acked', acked });
      })
      .catch(() => errors++)
      .finally(() => inFlight--);
  }
  const seconds = (performance.now() - t0) / 1000;
  // The rate counts what the broker had acknowledged when the load stopped (conservative).
  const ackedInWindow = acked;
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  await producer.close().catch(() => {});
  post({ type: 'done', stats: { achievedRate: ackedInWindow / seconds, messages: sent, acked, maxLagMs, errors } });
}

if (parentPort && workerData) void main(workerData as BackgroundJob);
