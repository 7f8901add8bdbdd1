/**
 * Evaluation errors inside a running stream graph (division by zero, overflow, a bad cast
 * in one row) must not stop the graph: like RisingWave, the value becomes NULL and the
 * error is reported. Reports are counted and logged at most once per `intervalMs` per
 * message, so a poisoned stream cannot flood the log.
 */
export interface EvalErrorReporter {
  report(where: string, err: unknown): void;
}

export class LoggingErrorReporter implements EvalErrorReporter {
  /** Errors reported so far (metrics, tests). */
  count = 0;
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly intervalMs = 10_000,
    private readonly log: (msg: string) => void = (m) => console.warn(m),
  ) {}

  report(where: string, err: unknown): void {
    this.count++;
    const msg = `${where}: ${err instanceof Error ? err.message : String(err)}`;
    const now = Date.now();
    const last = this.lastLogged.get(msg);
    if (last !== undefined && now - last < this.intervalMs) return;
    this.lastLogged.set(msg, now);
    this.log(`stream evaluation error (value set to NULL): ${msg}`);
  }
}

/** The reporter executors and expressions use unless given another. */
export const defaultErrorReporter = new LoggingErrorReporter();
