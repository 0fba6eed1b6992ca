import { afterAttempt, retryDelayMs } from './retry-policy';

describe('retry policy', () => {
  const defaults = { maxAttempts: 15, baseMs: 10_000, maxMs: 6 * 3_600_000 };

  it('doubles the delay per attempt with jitter over the upper half, capped', () => {
    expect(retryDelayMs(1, defaults, () => 0)).toBe(5_000);
    expect(retryDelayMs(1, defaults, () => 1)).toBe(10_000);
    expect(retryDelayMs(3, defaults, () => 1)).toBe(40_000);
    expect(retryDelayMs(14, defaults, () => 1)).toBe(6 * 3_600_000);
    expect(retryDelayMs(500, defaults, () => 0.5)).toBe(0.75 * 6 * 3_600_000);
  });

  it('spreads the default attempts over roughly a day', () => {
    let min = 0;
    let max = 0;
    for (let attempt = 1; attempt < defaults.maxAttempts; attempt++) {
      min += retryDelayMs(attempt, defaults, () => 0);
      max += retryDelayMs(attempt, defaults, () => 1);
    }
    expect(min / 3_600_000).toBeGreaterThan(11);
    expect(max / 3_600_000).toBeGreaterThan(23);
    expect(max / 3_600_000).toBeLessThan(25);
  });

  it('delivers on success, retries on failure and is dead after the last attempt', () => {
    expect(afterAttempt(true, 15, 15, defaults)).toEqual({ kind: 'delivered' });
    expect(afterAttempt(false, 2, 15, defaults, () => 0)).toEqual({ kind: 'retry', delayMs: 10_000 });
    expect(afterAttempt(false, 15, 15, defaults)).toEqual({ kind: 'dead' });
  });
});
