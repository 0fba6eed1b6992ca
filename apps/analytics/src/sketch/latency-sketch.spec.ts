import { bucketOf, bucketValue, GAMMA, LatencySketch } from './latency-sketch';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe(LatencySketch.name, () => {
  const maxRelativeError = (GAMMA - 1) / (GAMMA + 1) + 1e-9;

  it('puts every value in a bucket whose reported value is within 1 % of it', () => {
    const rnd = random(1);
    let worst = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = 1 + rnd() * 86_400_000;
      worst = Math.max(worst, Math.abs(bucketValue(bucketOf(v)) - v) / v);
    }
    expect(worst).toBeLessThanOrEqual(maxRelativeError);
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(GAMMA ** 10)).toBe(10);
  });

  it('estimates p50 and p99 of a skewed distribution within 1 % of the exact nearest-rank values', () => {
    const rnd = random(7);
    const values = Array.from({ length: 20_000 }, () => Math.exp(rnd() * 8) * (rnd() < 0.02 ? 40 : 1));
    const sketch = new LatencySketch();
    values.forEach((v) => sketch.record(v));
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(sketch.quantile(q)! - exact) / exact).toBeLessThanOrEqual(maxRelativeError);
    }
    expect(sketch.count).toBe(20_000);
  });

  it('merges by adding bucket counts: merged minutes equal one sketch of all values', () => {
    const rnd = random(3);
    const minutes = Array.from({ length: 5 }, () => Array.from({ length: 400 }, () => rnd() * 5000));
    const merged = new LatencySketch();
    for (const values of minutes) {
      const perMinute = new LatencySketch();
      values.forEach((v) => perMinute.record(v));
      merged.merge(LatencySketch.fromBuckets(perMinute.buckets()));
    }
    const whole = new LatencySketch();
    minutes.flat().forEach((v) => whole.record(v));
    expect(merged.buckets()).toEqual(whole.buckets());
    expect(merged.quantile(0.99)).toBe(whole.quantile(0.99));
  });

  it('reports nothing for an empty sketch', () => {
    expect(new LatencySketch().quantile(0.5)).toBeNull();
  });
});
