import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe(TokenBucket, () => {
  describe('take', () => {
    it('allows a burst, then refuses until tokens refill', () => {
      const bucket = new TokenBucket(10, 3, 0);
      expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
        true,
        true,
        true,
      ]);
      expect(bucket.take(0)).toBe(false);
      expect(bucket.take(50)).toBe(false); // half a token
      expect(bucket.take(100)).toBe(true); // one token after 100 ms at 10/s
      expect(bucket.take(100)).toBe(false);
    });

    it('sustains the rate, and no more', () => {
      const bucket = new TokenBucket(100, 1, 0);
      let taken = 0;
      for (let ms = 0; ms < 10_000; ms++) {
        taken += Number(bucket.take(ms));
      }
      expect(taken).toBeGreaterThanOrEqual(999);
      expect(taken).toBeLessThanOrEqual(1001);
    });

    it('never holds more than the burst, however long it was idle', () => {
      const bucket = new TokenBucket(1000, 2, 0);
      expect([
        bucket.take(60_000),
        bucket.take(60_000),
        bucket.take(60_000),
      ]).toEqual([true, true, false]);
    });
  });

  describe('isFull', () => {
    it('tells when the rate has not been pressed for a while', () => {
      const bucket = new TokenBucket(10, 2, 0);
      expect(bucket.isFull(0)).toBe(true);
      bucket.take(0);
      expect(bucket.isFull(0)).toBe(false);
      expect(bucket.isFull(100)).toBe(true);
    });
  });

  describe('afterOne', () => {
    it('gives the first event back its token at the rate, as if made before it', () => {
      // One init a minute: the second needs the first's token back, a minute after the first.
      const lazy = TokenBucket.afterOne(1 / 60, 1, 1000);
      expect(lazy.take(30_000)).toBe(false);
      expect(lazy.take(61_000)).toBe(true);
      expect(lazy.take(61_000)).toBe(false);
    });
  });
});
