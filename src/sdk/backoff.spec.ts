import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('stays between min and a cap that doubles with each attempt', () => {
    expect(backoffDelay(0, 100, 5000, () => 1)).toBe(100);
    expect(backoffDelay(1, 100, 5000, () => 1)).toBe(200);
    expect(backoffDelay(3, 100, 5000, () => 1)).toBe(800);
    expect(backoffDelay(3, 100, 5000, () => 0)).toBe(100);
    expect(backoffDelay(3, 100, 5000, () => 0.5)).toBe(450);
  });

  it('never exceeds max, however many attempts', () => {
    expect(backoffDelay(6, 100, 5000, () => 1)).toBe(5000);
    expect(backoffDelay(10_000, 100, 5000, () => 1)).toBe(5000);
  });

  it('spreads delays over the whole range', () => {
    const delays = Array.from({ length: 1000 }, () =>
      backoffDelay(5, 100, 5000),
    );
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...delays)).toBeLessThanOrEqual(3200);
    expect(
      new Set(delays.map((d) => Math.floor(d / 500))).size,
    ).toBeGreaterThan(4);
  });
});
