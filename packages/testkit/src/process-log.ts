/**
 * Bounded capture of a child process's output, so a failing test can print what a
 * server said without keeping an unbounded log in memory.
 */
import type { Readable } from 'node:stream';

const MAX_CHARS = 1_000_000;

export class ProcessLog {
  private text = '';

  attach(stream: Readable | null, mirror?: NodeJS.WritableStream): void {
    if (!stream) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.text += chunk;
      // Keep the tail: the end of a log is what explains a failure.
      if (this.text.length > MAX_CHARS) this.text = this.text.slice(this.text.length - MAX_CHARS / 2);
      mirror?.write(chunk);
    });
  }

  toString(): string {
    return this.text;
  }

  /** The last `n` lines, for error messages. */
  tail(n = 40): string {
    return this.text.split('\n').slice(-n).join('\n');
  }
}
