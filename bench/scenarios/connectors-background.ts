/**
 * The freshness part's background load, in a worker thread of its own: a fixed produce rate
 * (open loop) must not share an event loop with the probes, or at high rates the probes'
 * produce and GET timings measure the client's own congestion. Every tick it sends what is
 * due — all of it when behind, in requests of at most MAX_PER_REQUEST messages, with up to
 * IN_FLIGHT requests outstanding — so the achieved rate is the broker's and Freshet's limit,
 * not one request's round trip.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { kafkaClient, openProducer } from '../lib/connector-services';

export interface BackgroundJob {
  bootstrap: string;
  topic: string;
  rate: number;
  users: number;
  partitions: number;
  tickMs: number;
}

export interface BackgroundStats {
  achievedRate: number;
  messages: number;
  maxLagMs: number;
  errors: number;
}

const MAX_PER_REQUEST = 5_000;
const IN_FLIGHT = 4;

/** Background message i (the same stream as before the worker: user i·7919 mod users). */
export function backgroundMessage(i: number, users: number): string {
  return `{"user_id":${((i * 7919) % users) + 1},"seq":${i},"amount":${(i % 1000) / 10}}`;
}

async function main(job: BackgroundJob): Promise<void> {
  const producer = await openProducer(kafkaClient(job.bootstrap));
  let stopped = false;
  let sent = 0;
  let errors = 0;
  let maxLagMs = 0;
  let inFlight = 0;
  const t0 = performance.now();
  parentPort!.on('message', (m) => {
    if (m === 'stop') stopped = true;
  });
  parentPort!.postMessage({ type: 'started' });
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
    const messages = Array.from({ length: n }, (_, j) => ({ value: backgroundMessage(from + j, job.users), partition: (from + j) % job.partitions }));
    inFlight++;
    producer
      .send({ topic: job.topic, acks: -1, messages })
      .catch(() => errors++)
      .finally(() => inFlight--);
  }
  const seconds = (performance.now() - t0) / 1000;
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  await producer.disconnect().catch(() => {});
  const stats: BackgroundStats = { achievedRate: sent / seconds, messages: sent, maxLagMs, errors };
  parentPort!.postMessage({ type: 'done', stats });
}

if (parentPort && workerData) void main(workerData as BackgroundJob);
