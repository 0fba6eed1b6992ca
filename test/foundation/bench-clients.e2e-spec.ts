import { ConsumeClock, loadFromCache } from '../../bench/clients/common';
import { BenchMessage, produceInBatches } from '../../bench/lib';

// The client comparison (bench/client-comparison.bench.ts) drives three clients through these
// helpers; a batch sent twice or a rate taken over the wrong window would skew every ratio.
describe('bench/clients', () => {
  it('sends every message exactly once, in batches of at most batchSize, with at most `concurrency` sends in flight', async () => {
    const seen: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let largest = 0;
    const rate = await produceInBatches(
      1234,
      async (messages: BenchMessage[]) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        largest = Math.max(largest, messages.length);
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(...messages.map((m) => m.key + '|' + m.value));
        inFlight--;
      },
      { batchSize: 100, concurrency: 3 },
    );
    expect(rate.count).toBe(1234);
    expect(seen).toHaveLength(1234);
    expect(new Set(seen).size).toBe(1234);
    expect(largest).toBe(100);
    expect(maxInFlight).toBe(3);
    expect(seen.filter((s) => s.startsWith('acct-7|'))).toHaveLength(2); // messages 7 and 1007
  });

  it('times consumption from the first delivery to the n-th message and reports the start-up apart', async () => {
    const clock = new ConsumeClock(100, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    clock.add(40, 4000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock.add(60, 6000);
    clock.add(10, 1000); // after the n-th message: ignored by the result
    const rate = await clock.done;
    expect(rate.count).toBe(100);
    expect(rate.startupSeconds).toBeGreaterThanOrEqual(0.025);
    expect(rate.seconds).toBeGreaterThanOrEqual(0.015);
    expect(rate.seconds).toBeLessThan(rate.startupSeconds + 1);
    expect(rate.perSecond).toBeCloseTo(100 / rate.seconds, 5);
  });

  it('rejects when too few messages arrive in time, or when they carry no values', async () => {
    const slow = new ConsumeClock(10, 50);
    slow.add(3, 30);
    await expect(slow.done).rejects.toThrow('consumed 3 of 10 in 50 ms');
    const empty = new ConsumeClock(5, 5_000);
    empty.add(5, 0);
    await expect(empty.done).rejects.toThrow('consumed messages without values');
  });

  it('says how to install a client that is not in the cache', () => {
    expect(() => loadFromCache('@paystream/no-such-client')).toThrow(
      /@paystream\/no-such-client is not installed in .*\.cache\/bench-clients \(run: node bench\/clients\/install\.mjs\)/,
    );
  });
});
