import { LatencySketch } from '../sketch/latency-sketch';
import { parseWindow } from './analytics-query.schema';
import { figuresOf } from './summary';

describe(figuresOf.name, () => {
  it('reports payments and volume from initiations, every status, the approval rate and latency quantiles', () => {
    const sketch = new LatencySketch();
    for (let i = 1; i <= 100; i++) sketch.record(i * 10);
    const figures = figuresOf(
      'EUR',
      new Map([
        ['PENDING', { payments: 4n, volume: 100_001n }],
        ['AUTHORIZED', { payments: 3n, volume: 90_000n }],
        ['REJECTED', { payments: 1n, volume: 10_001n }],
        ['SETTLED', { payments: 2n, volume: 60_000n }],
      ]),
      sketch,
    );
    expect(figures).toEqual({
      payments: 4,
      volume: '1000.01',
      byStatus: {
        PENDING: { count: 4, volume: '1000.01' },
        AUTHORIZED: { count: 3, volume: '900.00' },
        REJECTED: { count: 1, volume: '100.01' },
        SETTLED: { count: 2, volume: '600.00' },
        FAILED: { count: 0, volume: '0.00' },
      },
      approvalRate: 0.75,
      settleLatencyMs: { p50: expect.any(Number), p99: expect.any(Number), count: 100 },
    });
    expect(Math.abs(figures.settleLatencyMs.p50! - 500) / 500).toBeLessThan(0.011);
    expect(Math.abs(figures.settleLatencyMs.p99! - 990) / 990).toBeLessThan(0.011);
  });

  it('has no approval rate or latency without decisions or settlements', () => {
    const figures = figuresOf('JPY', new Map(), new LatencySketch());
    expect(figures.approvalRate).toBeNull();
    expect(figures.settleLatencyMs).toEqual({ p50: null, p99: null, count: 0 });
    expect(figures.volume).toBe('0');
  });
});

describe(parseWindow.name, () => {
  const now = new Date('2026-11-25T12:00:30Z');

  it('defaults to the last 24 hours and rounds from down to its minute', () => {
    expect(parseWindow({ currency: 'EUR' }, 1e12, now)).toEqual({
      ok: true,
      value: { currency: 'EUR', from: new Date('2026-11-24T12:00:00Z'), to: now, top: 10 },
    });
    const w = parseWindow(
      { currency: 'USD', from: '2026-11-25T11:00:45Z', to: '2026-11-25T12:00:00Z', top: '3' },
      1e12,
    );
    expect(w).toEqual({
      ok: true,
      value: { currency: 'USD', from: new Date('2026-11-25T11:00:00Z'), to: new Date('2026-11-25T12:00:00Z'), top: 3 },
    });
  });

  it('names the offending parameters', () => {
    const fields = (q: object) => {
      const r = parseWindow(q, 3_600_000, now);
      return r.ok ? [] : r.errors.map((e) => e.field);
    };
    expect(fields({ currency: 'eur' })).toEqual(['currency']);
    expect(fields({ currency: 'EUR', from: 'monday' })).toEqual(['from']);
    expect(fields({ currency: 'EUR', from: '2026-11-25T12:00:00Z', to: '2026-11-25T11:00:00Z' })).toEqual(['from']);
    expect(fields({ currency: 'EUR', from: '2026-11-20T12:00:00Z' })).toEqual(['to']);
    expect(fields({ currency: 'EUR', colour: 'red' })).toEqual(['colour']);
  });
});
