import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BatchHistogram } from './batch-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The exposition of a registry holding one histogram, under the name `h`. */
function exposition(registry: Registry): Promise<string> {
  return registry.metrics();
}

/** A prom-client histogram and a batch histogram, each in a registry of its own. */
function pair() {
  const expected = new Registry();
  const actual = new Registry();
  return {
    expected,
    actual,
    histogram: new Histogram({
      name: 'h',
      help: 'latency',
      buckets: BUCKETS,
      registers: [expected],
    }),
    batch: new BatchHistogram('h', 'latency', BUCKETS, [actual]),
  };
}

describe(BatchHistogram, () => {
  it('gives the exposition of prom-client histogram that observed each value as many times', async () => {
    const { expected, actual, histogram, batch } = pair();
    // Below, on and above bounds, and above every bound.
    const observations: Array<[number, number]> = [
      [0.0005, 3],
      [0.001, 2],
      [0.05, 1],
      [1, 4],
      [7.5, 2],
    ];
    for (const [value, times] of observations) {
      for (let i = 0; i < times; i++) {
        histogram.observe(value);
      }
      batch.observe(value, times);
    }
    const text = await exposition(actual);
    expect(text).toBe(await exposition(expected));
    expect(text).toContain('h_bucket{le="0.001"} 5\n');
    expect(text).toContain('h_bucket{le="+Inf"} 12\n');
    expect(text).toContain('h_count 12\n');
  });

  it('counts one observation without a count', async () => {
    const { expected, actual, histogram, batch } = pair();
    histogram.observe(0.02);
    batch.observe(0.02);
    expect(await exposition(actual)).toBe(await exposition(expected));
  });

  it('starts from zero again when the registry resets its metrics', async () => {
    const { expected, actual, histogram, batch } = pair();
    batch.observe(0.5, 10);
    actual.resetMetrics();
    histogram.observe(0.2);
    batch.observe(0.2);
    expect(await exposition(actual)).toBe(await exposition(expected));
  });

  it('is refused by a registry that already holds a metric of its name', () => {
    const registry = new Registry();
    new BatchHistogram('h', 'latency', BUCKETS, [registry]);
    expect(
      () => new BatchHistogram('h', 'latency', BUCKETS, [registry]),
    ).toThrow(/already been registered/);
  });
});
