/**
 * An interval as PostgreSQL and RisingWave store it: months, days and microseconds are
 * kept apart because a month has no fixed number of days and a day (across a DST change)
 * no fixed number of microseconds.
 */
export class Interval {
  constructor(
    readonly months: number,
    readonly days: number,
    /** Microseconds; a float64 holding an integer (exact up to ±2^53). */
    readonly micros: number,
  ) {}
}
