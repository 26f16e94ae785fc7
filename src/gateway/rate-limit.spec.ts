import { describe, expect, it } from 'vitest';
import { RateLimit } from './rate-limit.js';

/** Feeds events at the given times through a bucket that starts full; whether each was allowed. */
function run(limit: RateLimit, times: number[]): boolean[] {
  let fullAt = 0;
  return times.map((now) => {
    const next = limit.take(fullAt, now);
    if (next === undefined) {
      return false;
    }
    fullAt = next;
    return true;
  });
}

describe(RateLimit, () => {
  describe('take', () => {
    it('allows a burst, then refuses until tokens refill', () => {
      expect(run(new RateLimit(10, 3), [0, 0, 0, 0, 50, 100, 100])).toEqual([
        true,
        true,
        true,
        false,
        false, // half a token
        true, // one token after 100 ms at 10/s
        false,
      ]);
    });

    it('sustains the rate, and no more', () => {
      const times = Array.from({ length: 10_000 }, (_, ms) => ms);
      const taken = run(new RateLimit(100, 1), times).filter(Boolean).length;
      expect(taken).toBeGreaterThanOrEqual(999);
      expect(taken).toBeLessThanOrEqual(1001);
    });

    it('never holds more than the burst, however long it was idle', () => {
      expect(run(new RateLimit(1000, 2), [0, 60_000, 60_000, 60_000])).toEqual([
        true,
        true,
        true,
        false,
      ]);
    });

    it('refills a slow rate exactly: one init a minute', () => {
      expect(
        run(new RateLimit(1 / 60, 1), [1000, 30_000, 61_000, 61_000]),
      ).toEqual([true, false, true, false]);
    });

    it('holds its rate to the event over long runs, despite floating point', () => {
      // 3 a second does not divide a second evenly; a day of it must still allow every event.
      const limit = new RateLimit(3, 1);
      let fullAt = 0;
      let refused = 0;
      for (let n = 0; n < 3 * 86_400; n++) {
        const next = limit.take(fullAt, (n * 1000) / 3);
        if (next === undefined) {
          refused++;
        } else {
          fullAt = next;
        }
      }
      expect(refused).toBe(0);
    });
  });

  describe('isFull', () => {
    it('tells when the rate has not been pressed for a while', () => {
      const limit = new RateLimit(10, 2);
      expect(limit.isFull(0, 0)).toBe(true);
      const fullAt = limit.take(0, 0)!;
      expect(limit.isFull(fullAt, 0)).toBe(false);
      expect(limit.isFull(fullAt, 100)).toBe(true);
    });
  });
});
