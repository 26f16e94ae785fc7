/**
 * Intervals added up in floating point overshoot the window by a hair (1000/3 ms has no exact
 * double); a microsecond is below what the clock tells apart anyway.
 */
const TOLERANCE_MS = 0.001;

/**
 * A token bucket (`burst` tokens, refilled at `perSecond`; each event takes one) that keeps one
 * number per client: the time at which the client's bucket is full again (the generic cell rate
 * algorithm). Thousands of idle clients then cost a number each instead of an object with its own
 * copy of the limits, and any time in the past, 0 included, stands for a full bucket. Times are
 * milliseconds on the caller's clock.
 */
export class RateLimit {
  /** Milliseconds in which one token comes back. */
  private readonly interval: number;
  /** Milliseconds in which an empty bucket fills. */
  private readonly window: number;

  constructor(perSecond: number, burst: number) {
    this.interval = 1000 / perSecond;
    this.window = burst * this.interval;
  }

  /**
   * Takes a token for an event at `now` from the bucket that `fullAt` describes: the new `fullAt`,
   * or undefined when the bucket is empty (the event is over the rate).
   */
  take(fullAt: number, now: number): number | undefined {
    const next = Math.max(fullAt, now) + this.interval;
    return next - now > this.window + TOLERANCE_MS ? undefined : next;
  }

  /** Whether the bucket is full: the rate has not been pressed for a while. */
  isFull(fullAt: number, now: number): boolean {
    return fullAt <= now;
  }
}
