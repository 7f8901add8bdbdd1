/**
 * The parent side of the background produce load (connectors-background.ts): starts the
 * worker thread, follows how many messages the broker has acknowledged, and stops it.
 */
import { Worker } from 'node:worker_threads';
import type { BackgroundEvent, BackgroundJob, BackgroundStats } from './connectors-background';

export class ProduceBackground {
  private stats: Promise<BackgroundStats>;
  private ackedSoFar = 0;
  private readonly t0 = performance.now();

  private constructor(private readonly worker: Worker) {
    this.stats = new Promise((resolve, reject) => {
      worker.on('message', (m: BackgroundEvent) => {
        if (m.type === 'acked') this.ackedSoFar = m.acked;
        else if (m.type === 'done') resolve(m.stats);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`background producer exited with ${code}`)));
    });
    this.stats.catch(() => {});
  }

  static async start(job: BackgroundJob): Promise<ProduceBackground> {
    const worker = new Worker(new URL('./connectors-background-entry.js', import.meta.url), { workerData: job });
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: BackgroundEvent) => m.type === 'started' && resolve());
      worker.once('error', reject);
    });
    return new ProduceBackground(worker);
  }

  /** Messages the broker has acknowledged so far. */
  acked(): number {
    return this.ackedSoFar;
  }

  /** Acknowledged messages per second since the start. */
  rate(): number {
    return this.ackedSoFar / ((performance.now() - this.t0) / 1000);
  }

  async stop(): Promise<BackgroundStats> {
    this.worker.postMessage('stop');
    try {
      return await this.stats;
    } finally {
      await this.worker.terminate();
    }
  }
}
