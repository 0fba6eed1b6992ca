import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { PaymentEvent } from '@paystream/contracts';
import { JsonLogger, Metrics } from '@paystream/observability';
import { loadConfig, PlatformModule, ProblemFilter, setupOpenApi } from '@paystream/platform';
import { createTestDatabase, TestDatabase } from '@paystream/testing';
import { DataSource } from 'typeorm';
import { writeChunkAggregate } from '../aggregate/aggregate.writer';
import { ChunkAggregate } from '../aggregate/chunk-aggregate';
import { AnalyticsAppModule } from '../app.module';
import { AnalyticsConfig, analyticsConfigShape } from '../config';

function ev(type: PaymentEvent['type'], n: number, at: string, amount = '10.01', account = 'acc-a'): PaymentEvent {
  return {
    eventId: `e-${type}-${n}`,
    type,
    occurredAt: at,
    paymentId: `p-${n}`,
    correlationId: 'c',
    version: 1,
    data: { debtorAccountId: account, creditorAccountId: 'acc-m', amount, currency: 'EUR' },
  } as PaymentEvent;
}

describe('analytics aggregates and API', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('analytics_int');
    const config = loadConfig('analytics', 3005, analyticsConfigShape, {
      DATABASE_NAME: database.name,
      DATABASE_URL: database.serverUrl,
      DATABASE_POOL_SIZE: '6',
    }) as unknown as AnalyticsConfig;
    const logger = new JsonLogger('analytics', 'error');
    const platform = PlatformModule.forRoot({ service: 'analytics', config, logger, metrics: new Metrics('a') });
    app = await NestFactory.create<NestFastifyApplication>(
      AnalyticsAppModule.register(config, platform),
      new FastifyAdapter(),
      { logger: false },
    );
    app.useGlobalFilters(new ProblemFilter(logger));
    setupOpenApi(app, 'analytics');
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const window = 'from=2026-01-01T10:00:00Z&to=2026-01-01T11:00:00Z';

  it('documents its API in OpenAPI', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    const doc = res.json<{ paths: Record<string, { get: { responses: Record<string, unknown> } }> }>();
    expect(doc.paths['/v1/analytics/summary'].get.responses['200']).toEqual({
      description: '',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/SummaryDto' } } },
    });
  });

  it('adds concurrent chunks that share rows without losing a count or a minor unit, and without deadlock', async () => {
    // 8 chunks committing at once, all touching the same minute, status and account rows.
    const chunks = Array.from({ length: 8 }, (_, c) => {
      const chunk = new ChunkAggregate();
      for (let i = 0; i < 25; i++) {
        const n = c * 100 + i;
        chunk.add(ev('payment.initiated', n, `2026-01-01T10:0${i % 3}:00Z`, `${n}.01`, `acc-${i % 4}`));
      }
      return chunk;
    });
    await Promise.all(chunks.map((chunk) => dataSource.transaction((m) => writeChunkAggregate(m, chunk))));
    const res = await app.inject({ method: 'GET', url: `/v1/analytics/summary?currency=EUR&${window}` });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ payments: number; volume: string; topAccounts: { payments: number }[] }>();
    expect(body.payments).toBe(200);
    let minor = 0n;
    for (let c = 0; c < 8; c++) for (let i = 0; i < 25; i++) minor += BigInt((c * 100 + i) * 100 + 1);
    expect(body.volume).toBe(`${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`);
    expect(body.topAccounts.reduce((s, a) => s + a.payments, 0)).toBe(200);
  });

  it('measures initiated → settled across chunks, and forgets the start once a payment is final', async () => {
    const first = new ChunkAggregate();
    first.add(ev('payment.initiated', 1000, '2026-01-01T10:30:00.000Z'));
    first.add(ev('payment.initiated', 1001, '2026-01-01T10:30:00.000Z'));
    await dataSource.transaction((m) => writeChunkAggregate(m, first));
    const second = new ChunkAggregate();
    second.add(ev('payment.settled', 1000, '2026-01-01T10:30:02.000Z'));
    second.add(ev('payment.failed', 1001, '2026-01-01T10:30:03.000Z'));
    await dataSource.transaction((m) => writeChunkAggregate(m, second));

    const res = await app.inject({
      method: 'GET',
      url: '/v1/analytics/summary?currency=EUR&from=2026-01-01T10:30:00Z&to=2026-01-01T10:31:00Z',
    });
    const body = res.json<{ settleLatencyMs: { p50: number; p99: number; count: number }; byStatus: object }>();
    expect(body.settleLatencyMs.count).toBe(1);
    expect(Math.abs(body.settleLatencyMs.p50 - 2000)).toBeLessThanOrEqual(20);
    expect(body.byStatus).toMatchObject({
      SETTLED: { count: 1, volume: '10.01' },
      FAILED: { count: 1, volume: '10.01' },
    });
    const open = await dataSource.query<unknown[]>(
      `SELECT * FROM analytics_open_payments WHERE payment_id IN ('p-1000', 'p-1001')`,
    );
    expect(open).toEqual([]);

    const series = await app.inject({
      method: 'GET',
      url: '/v1/analytics/timeseries?currency=EUR&from=2026-01-01T10:29:00Z&to=2026-01-01T10:32:00Z',
    });
    const points = series.json<{ points: { minute: string; payments: number }[] }>().points;
    expect(points.map((p) => [p.minute, p.payments])).toEqual([
      ['2026-01-01T10:29:00.000Z', 0],
      ['2026-01-01T10:30:00.000Z', 2],
      ['2026-01-01T10:31:00.000Z', 0],
    ]);
  });

  it('answers 400 problems naming bad parameters', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/analytics/summary?currency=XYZ1&from=soon&extra=1' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(
      res
        .json<{ errors: { field: string }[] }>()
        .errors.map((e) => e.field)
        .sort(),
    ).toEqual(['currency', 'extra', 'from']);
    const long = await app.inject({
      method: 'GET',
      url: '/v1/analytics/timeseries?currency=EUR&from=2026-01-01T00:00:00Z&to=2026-01-09T00:00:00Z',
    });
    expect(long.statusCode).toBe(400);
  });
});
