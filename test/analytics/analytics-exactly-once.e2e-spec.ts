import { SchemaRegistryCodec } from '@paystream/messaging';
import { fromMinor } from '@paystream/money';
import {
  createTestDatabase,
  createTopics,
  ServiceProcess,
  startService,
  TEST_REGISTRY_URL,
  TestDatabase,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { Producer } from 'kafkajs';
import { Client } from 'pg';
import { produceEvents, seeded, SimulatedPayment, simulatePayments } from './payment-event-fixtures';

// Needs the build (`npm run build`; `npm test` builds first): analytics runs from dist/ as a process.

interface Summary {
  currency: string;
  payments: number;
  volume: string;
  byStatus: Record<string, { count: number; volume: string }>;
  approvalRate: number | null;
  settleLatencyMs: { p50: number | null; p99: number | null; count: number };
  topAccounts: Array<{ accountId: string; payments: number; volume: string }>;
}

function nearestRank(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

/** What the summary must say for one currency, computed from the payments we produced. */
function expectedSummary(payments: SimulatedPayment[], currency: string) {
  const mine = payments.filter((p) => p.currency === currency);
  const sum = (ps: SimulatedPayment[]) =>
    fromMinor(
      ps.reduce((s, p) => s + p.minor, 0n),
      currency,
    );
  const rejected = mine.filter((p) => p.outcome === 'REJECTED');
  const authorized = mine.filter((p) => p.outcome !== 'REJECTED');
  const byAccount = new Map<string, { payments: number; minor: bigint }>();
  for (const p of mine) {
    const a = byAccount.get(p.debtorAccountId) ?? { payments: 0, minor: 0n };
    a.payments += 1;
    a.minor += p.minor;
    byAccount.set(p.debtorAccountId, a);
  }
  const topAccounts = [...byAccount.entries()]
    .sort((a, b) => (a[1].minor === b[1].minor ? (a[0] < b[0] ? -1 : 1) : a[1].minor > b[1].minor ? -1 : 1))
    .slice(0, 10)
    .map(([accountId, a]) => ({ accountId, payments: a.payments, volume: fromMinor(a.minor, currency) }));
  return {
    payments: mine.length,
    volume: sum(mine),
    byStatus: {
      PENDING: { count: mine.length, volume: sum(mine) },
      AUTHORIZED: { count: authorized.length, volume: sum(authorized) },
      REJECTED: { count: rejected.length, volume: sum(rejected) },
      SETTLED: {
        count: mine.filter((p) => p.outcome === 'SETTLED').length,
        volume: sum(mine.filter((p) => p.outcome === 'SETTLED')),
      },
      FAILED: {
        count: mine.filter((p) => p.outcome === 'FAILED').length,
        volume: sum(mine.filter((p) => p.outcome === 'FAILED')),
      },
    },
    approvalRate: Math.round((authorized.length / mine.length) * 10_000) / 10_000,
    latencies: mine.filter((p) => p.settleLatencyMs !== undefined).map((p) => p.settleLatencyMs!),
    topAccounts,
  };
}

describe('analytics counts every payment exactly once', () => {
  const topic = uniqueName('payment-events-analytics');
  const group = uniqueName('analytics');
  let database: TestDatabase;
  let deleteTopics: (() => Promise<void>) | undefined;
  let producer: Producer | undefined;
  let service: ServiceProcess | undefined;
  let db: Client | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('analytics_e2e');
    deleteTopics = await createTopics([{ name: topic, partitions: 3 }]);
    producer = testKafka('analytics-e2e-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await service?.stop();
    await db?.end();
    await producer?.disconnect();
    await deleteTopics?.();
    await database?.drop();
  });

  function start(): ServiceProcess {
    return startService('analytics', 3105, {
      DATABASE_NAME: database.name,
      DATABASE_URL: database.serverUrl,
      DATABASE_POOL_SIZE: '3',
      ANALYTICS_TOPIC: topic,
      ANALYTICS_CONSUMER_GROUP: group,
      // Small chunks: many transactions, so the kill lands between and inside them.
      ANALYTICS_BATCH_SIZE: '5',
      KAFKA_CLIENT_ID: uniqueName('analytics-e2e'),
    });
  }

  async function processed(): Promise<number> {
    const r = await db!.query<{ n: string }>(
      `SELECT count(*) AS n FROM messaging_processed_events p
         JOIN messaging_groups g ON g.group_key = p.group_key WHERE g.name = $1`,
      [group],
    );
    return Number(r.rows[0].n);
  }

  async function summary(currency: string): Promise<Summary> {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const res = await fetch(service!.url(`/v1/analytics/summary?currency=${currency}&from=${from}&to=${to}`));
    expect(res.status).toBe(200);
    return (await res.json()) as Summary;
  }

  it('summary counts equal N and volumes equal the sums to the minor unit, across kill -9 mid-stream', async () => {
    const started = Date.now();
    const rnd = seeded(20261125);
    const payments = simulatePayments(150, rnd);
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const firstHalf = payments.slice(0, 75);
    const secondHalf = payments.slice(75);
    const firstEvents = await produceEvents(producer!, codec, topic, firstHalf);

    service = start();
    await service.waitReady(90_000);
    db = new Client({ connectionString: database.url });
    await db.connect();

    // kill -9 while the first half is being consumed.
    await waitFor('analytics to be part-way through', async () => (await processed()) >= 40, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    await service.kill();
    await service.evictFromGroup(group);
    const atKill = await processed();
    process.stdout.write(
      `analytics e2e: kill -9 after ${Date.now() - started} ms with ${atKill} of ${firstEvents} events applied\n`,
    );
    const total = firstEvents + (await produceEvents(producer!, codec, topic, secondHalf));
    expect(atKill).toBeLessThan(total);

    service = start();
    await service.waitReady(90_000);
    // And once more while it catches up with the second half.
    const secondKillAt = atKill + 60;
    if ((await processed()) < secondKillAt) {
      await waitFor('analytics to catch up part-way', async () => (await processed()) >= secondKillAt, {
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      await service.kill();
      await service.evictFromGroup(group);
      process.stdout.write(`analytics e2e: second kill -9 with ${await processed()} of ${total} events applied\n`);
      service = start();
      await service.waitReady(90_000);
    }
    await waitFor('every event to be applied', async () => (await processed()) === total, {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    // A second kill -9 and restart changes nothing: everything is already applied.
    await service.kill();
    await service.evictFromGroup(group);
    service = start();
    await service.waitReady(90_000);

    for (const currency of ['EUR', 'USD']) {
      const expected = expectedSummary(payments, currency);
      const got = await summary(currency);
      expect(got).toMatchObject({
        currency,
        payments: expected.payments,
        volume: expected.volume,
        byStatus: expected.byStatus,
        approvalRate: expected.approvalRate,
        topAccounts: expected.topAccounts,
      });
      expect(got.settleLatencyMs.count).toBe(expected.latencies.length);
      for (const [q, key] of [
        [0.5, 'p50'],
        [0.99, 'p99'],
      ] as const) {
        const exact = nearestRank(expected.latencies, q);
        // The sketch's relative error (about 1 %) plus rounding to whole milliseconds.
        expect(Math.abs(got.settleLatencyMs[key]! - exact)).toBeLessThanOrEqual(exact * 0.0100001 + 1);
      }
    }
    expect(await processed()).toBe(total);

    // The time series adds up to the summary, minute by minute.
    const to = Math.ceil(Date.now() / 60_000) * 60_000;
    const from = to - 30 * 60_000;
    const res = await fetch(
      service.url(
        `/v1/analytics/timeseries?currency=EUR&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
      ),
    );
    expect(res.status).toBe(200);
    const series = (await res.json()) as { points: Array<{ minute: string; payments: number }> };
    expect(series.points).toHaveLength(30);
    expect(series.points.reduce((s, p) => s + p.payments, 0)).toBe(expectedSummary(payments, 'EUR').payments);
  });
});
