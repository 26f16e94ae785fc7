/**
 * A token bucket: `burst` tokens, refilled at `perSecond`; each event takes one. An event finding
 * the bucket empty is over the rate. Refilled lazily, from the clock the caller passes, so an idle
 * bucket costs nothing.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /**
   * The bucket as one event at `at` left it: for a caller that lets the first event through
   * without a bucket (a full bucket always holds one) and makes it only when a second comes.
   */
  static afterOne(perSecond: number, burst: number, at: number): TokenBucket {
    const bucket = new TokenBucket(perSecond, burst, at);
    bucket.take(at);
    return bucket;
  }

  /** Takes a token; false when there is none (the event is over the rate). */
  take(now: number): boolean {
    this.refill(now);
    // A hair of tolerance: tenths of a token added up in floating point fall just short of one.
    if (this.tokens < 1 - 1e-9) {
      return false;
    }
    this.tokens -= 1;
    return true;
  }

  /** Whether the bucket is full: the rate has not been pressed for a while. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst - 1e-9;
  }

  private refill(now: number): void {
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - this.at) / 1000) * this.perSecond,
    );
    this.at = now;
  }
}
