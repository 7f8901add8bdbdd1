/**
 * What an expression may read besides its arguments. One context per statement, so every
 * call to now() in a statement sees the same instant (PostgreSQL's transaction-start rule).
 */
export interface EvalContext {
  /** Session TimeZone (IANA name or fixed offset), used by timestamptz functions. */
  timeZone: string;
  /** statement start, µs since epoch */
  now: number;
}
