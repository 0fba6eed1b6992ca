/**
 * A mergeable latency sketch: a log-bucketed histogram (the idea behind HDR histograms and
 * DDSketch). Bucket i ≥ 1 counts values in (γ^(i-1), γ^i], bucket 0 counts values ≤ 1 ms.
 * Reporting a bucket by 2γ^i/(γ+1) keeps every quantile within (γ-1)/(γ+1) ≈ 1 % of a value
 * actually recorded, whatever the distribution.
 *
 * The state is only bucket counts, so two sketches merge by adding counts bucket by bucket:
 * the analytics service stores one sketch per currency and minute as rows (bucket, count) and
 * a query over any window merges them with SUM ... GROUP BY bucket. A day of latencies needs
 * about 920 buckets at most; typical traffic touches a few dozen.
 */
export const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);

export function bucketOf(valueMs: number): number {
  if (!(valueMs > 1)) return 0; // also NaN and negatives (clock skew): the lowest bucket
  // The epsilon keeps exact powers of γ in their own bucket despite floating-point rounding.
  return Math.max(1, Math.ceil(Math.log(valueMs) / LOG_GAMMA - 1e-9));
}

/** The value reported for a bucket: the point of least relative error within its range. */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 1;
  return (2 * GAMMA ** bucket) / (GAMMA + 1);
}

export class LatencySketch {
  private readonly counts = new Map<number, number>();
  private n = 0;

  static fromBuckets(buckets: Iterable<readonly [number, number]>): LatencySketch {
    const sketch = new LatencySketch();
    for (const [bucket, count] of buckets) sketch.addToBucket(bucket, count);
    return sketch;
  }

  get count(): number {
    return this.n;
  }

  record(valueMs: number): void {
    this.addToBucket(bucketOf(valueMs), 1);
  }

  addToBucket(bucket: number, count: number): void {
    if (count <= 0) return;
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count);
    this.n += count;
  }

  merge(other: LatencySketch): this {
    for (const [bucket, count] of other.buckets()) this.addToBucket(bucket, count);
    return this;
  }

  /** [bucket, count] in bucket order. */
  buckets(): Array<[number, number]> {
    return [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** Nearest-rank quantile (q in [0, 1]), or null when nothing was recorded. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (const [bucket, count] of this.buckets()) {
      seen += count;
      if (seen >= rank) return bucketValue(bucket);
    }
    return bucketValue(this.buckets()[this.counts.size - 1][0]);
  }
}
