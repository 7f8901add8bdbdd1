/**
 * Progress output during long phases. On a terminal it redraws one line with a bar; when
 * piped (CI logs) it prints a plain line every few seconds instead of flooding the log.
 */

export function progressBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(f * 100)).padStart(3)}%`;
}

export class Progress {
  private lastPrint = 0;
  private drawn = false;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly pipedIntervalMs = 5000,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  /** Shows `text` (with a bar when `fraction` is given); throttled, cheap to call often. */
  update(text: string, fraction?: number): void {
    const now = Date.now();
    const line = fraction === undefined ? text : `${progressBar(fraction)} ${text}`;
    if (this.tty) {
      if (now - this.lastPrint < 100) return;
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      if (now - this.lastPrint < this.pipedIntervalMs) return;
      this.out.write(`  ${line}\n`);
    }
    this.lastPrint = now;
  }

  /** Ends the live line with a permanent one. */
  done(text: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.out.write(`${text}\n`);
    this.drawn = false;
    this.lastPrint = 0;
  }
}
