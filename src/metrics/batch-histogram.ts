import type { Metric, Registry } from 'prom-client';

/** One series of the exposition, as prom-client's registry formats it. */
interface Sample {
  metricName: string;
  labels: { le?: number | '+Inf' };
  value: number;
}

/**
 * A Prometheus histogram that takes one value observed many times in one call. The text port
 * finishes the lines of one read together, all with the same latency; prom-client's
 * `Histogram.observe` costs a few hundred nanoseconds per call, a tenth of the main thread's
 * instructions per push (bench/RESULTS.md), and has no count.
 *
 * It is registered in prom-client's registry like prom-client's own metrics, which the registry
 * asks for their samples (`get`) on every scrape, and it gives the samples a prom-client
 * histogram gives: `_bucket` by `le` (cumulative, `+Inf` last), `_sum` and `_count`.
 */
export class BatchHistogram {
  readonly type = 'histogram';
  /** How a cluster of worker processes would merge it (prom-client's `AggregatorRegistry`). */
  readonly aggregator = 'sum';
  /** Observations per bucket, not cumulative; the last bucket is above every bound. */
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registers: readonly Registry[],
  ) {
    this.counts = Array.from({ length: upperBounds.length + 1 }, () => 0);
    for (const registry of registers) {
      // The registry's type lists prom-client's classes; what it uses of a metric is this.
      registry.registerMetric(this as unknown as Metric);
    }
  }

  /** Counts `value` `times` times, in the first bucket whose bound is at least `value`. */
  observe(value: number, times = 1): void {
    let bucket = 0;
    while (
      bucket < this.upperBounds.length &&
      value > this.upperBounds[bucket]
    ) {
      bucket++;
    }
    this.counts[bucket] += times;
    this.sum += value * times;
    this.count += times;
  }

  get() {
    const bucketName = `${this.name}_bucket`;
    let cumulative = 0;
    const values: Sample[] = this.upperBounds.map((le, bucket) => ({
      metricName: bucketName,
      labels: { le },
      value: (cumulative += this.counts[bucket]),
    }));
    values.push(
      { metricName: bucketName, labels: { le: '+Inf' }, value: this.count },
      { metricName: `${this.name}_sum`, labels: {}, value: this.sum },
      { metricName: `${this.name}_count`, labels: {}, value: this.count },
    );
    const { name, help, type, aggregator } = this;
    return { name, help, type, aggregator, values };
  }

  /** What the registry calls on `resetMetrics()`. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
