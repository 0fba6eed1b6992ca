import http from 'node:http';
import { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { JsonLogger, Metrics } from '@paystream/observability';
import { loadConfig, PlatformModule, ProblemFilter, setupOpenApi } from '@paystream/platform';
import { createTestDatabase, TestDatabase, waitFor } from '@paystream/testing';
import { DataSource } from 'typeorm';
import { NotificationsAppModule } from '../app.module';
import { NotificationsConfig, notificationsConfigShape } from '../config';
import { DeliveryRepository, DeliveryView } from './delivery.repository';
import { verifySignature } from './signature';

interface Received {
  path: string;
  eventId: string;
  body: string;
  signature: string;
}

/** A local receiver whose behaviour per path the tests choose; it logs every request it answers. */
class Receiver {
  readonly received: Received[] = [];
  readonly maxConcurrent = new Map<string, number>();
  private readonly concurrent = new Map<string, number>();
  private readonly server: http.Server;
  behaviour: (path: string) => { status: number; delayMs: number } = () => ({ status: 200, delayMs: 0 });

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const now = (this.concurrent.get(path) ?? 0) + 1;
        this.concurrent.set(path, now);
        this.maxConcurrent.set(path, Math.max(now, this.maxConcurrent.get(path) ?? 0));
        const { status, delayMs } = this.behaviour(path);
        setTimeout(() => {
          this.concurrent.set(path, (this.concurrent.get(path) ?? 1) - 1);
          if (status >= 200 && status < 300) {
            this.received.push({
              path,
              eventId: String(req.headers['paystream-event-id']),
              body: Buffer.concat(chunks).toString('utf8'),
              signature: String(req.headers['paystream-signature']),
            });
          }
          res.writeHead(status).end(status >= 300 ? 'receiver says no' : 'ok');
        }, delayMs);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function event(n: number, type: string) {
  return {
    eventId: `0190f000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    type,
    occurredAt: new Date().toISOString(),
    paymentId: `p-${n}`,
    correlationId: `c-${n}`,
    version: 1,
    data: { debtorAccountId: 'a-1', creditorAccountId: 'a-2', amount: `${n}.00`, currency: 'EUR' },
  };
}

/** The notifications app in-process (HTTP and dispatcher; its Kafka consumer is not connected). */
async function bootApp(database: TestDatabase, env: Record<string, string>): Promise<NestFastifyApplication> {
  const config = loadConfig('notifications', 3004, notificationsConfigShape, {
    DATABASE_NAME: database.name,
    DATABASE_URL: database.serverUrl,
    DATABASE_POOL_SIZE: '4',
    LOG_LEVEL: 'error',
    ...env,
  }) as unknown as NotificationsConfig;
  const logger = new JsonLogger('notifications', 'error');
  const platform = PlatformModule.forRoot({ service: 'notifications', config, logger, metrics: new Metrics('n') });
  const app = await NestFactory.create<NestFastifyApplication>(
    NotificationsAppModule.register(config, platform),
    new FastifyAdapter(),
    { logger: false },
  );
  app.useGlobalFilters(new ProblemFilter(logger));
  setupOpenApi(app, 'notifications');
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('webhook delivery', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  const receiver = new Receiver();
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase('notif_int');
    base = await receiver.start();
    app = await bootApp(database, {
      NOTIFICATIONS_ALLOW_PRIVATE_URLS: 'true',
      NOTIFICATIONS_DISPATCH_INTERVAL_MS: '20',
      NOTIFICATIONS_RETRY_BASE_MS: '20',
      NOTIFICATIONS_RETRY_MAX_MS: '200',
      NOTIFICATIONS_DELIVERY_TIMEOUT_MS: '500',
      NOTIFICATIONS_ENDPOINT_CONCURRENCY: '2',
    });
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await receiver.stop();
    await database?.drop();
  });

  async function createWebhook(body: object): Promise<{ id: string; secret: string }> {
    const res = await app.inject({ method: 'POST', url: '/v1/webhooks', payload: body });
    expect(res.statusCode).toBe(201);
    return res.json();
  }

  async function deliveries(webhookId: string): Promise<DeliveryView[]> {
    const res = await app.inject({ method: 'GET', url: `/v1/webhooks/${webhookId}/deliveries?limit=500` });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: DeliveryView[] }>().items;
  }

  function consume(events: ReturnType<typeof event>[], attemptLimit = 30): Promise<number[]> {
    // What the consumer does in its batch transaction.
    return dataSource.transaction(async (manager) => {
      const created: number[] = [];
      for (const e of events) {
        created.push(await DeliveryRepository.createForEvent(manager, e, JSON.stringify(e), attemptLimit));
      }
      return created;
    });
  }

  it('documents its API in OpenAPI', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    const doc = res.json<{ paths: Record<string, { get: { responses: Record<string, unknown> } }> }>();
    expect(doc.paths['/v1/webhooks/{id}/deliveries'].get.responses['200']).toEqual({
      description: '',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/DeliveryPageDto' } } },
    });
  });

  it('manages subscriptions: create with a generated secret, read without it, list, delete', async () => {
    const created = await createWebhook({ url: `${base}/crud`, events: ['payment.settled'] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const got = await app.inject({ method: 'GET', url: `/v1/webhooks/${created.id}` });
    expect(got.json()).toEqual({
      id: created.id,
      url: `${base}/crud`,
      events: ['payment.settled'],
      createdAt: expect.any(String),
      previousSecretExpiresAt: null,
    });
    const list = await app.inject({ method: 'GET', url: '/v1/webhooks' });
    expect(list.json<{ items: { id: string }[] }>().items.map((w) => w.id)).toContain(created.id);
    expect((await app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/v1/webhooks/${created.id}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}` })).statusCode).toBe(404);
    // A deleted webhook gets no new deliveries.
    expect(await consume([event(900, 'payment.settled')])).toEqual([0]);
  });

  it('rejects unknown fields, unknown event types, short secrets and non-http URLs with the fields named', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: `${base}/x`, events: ['payment.exploded'], secret: 'short', colour: 'red' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const fields = res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['events.0', 'secret', 'colour']));
    const ftp = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'ftp://x.example/', events: ['*'] },
    });
    expect(ftp.statusCode).toBe(400);
  });

  it('delivers every matching event exactly once per webhook, signed, through random failures and delays', async () => {
    const all = await createWebhook({ url: `${base}/all`, events: ['*'] });
    const settled = await createWebhook({
      url: `${base}/settled`,
      events: ['payment.settled'],
      secret: 'a-caller-chosen-secret',
    });
    receiver.behaviour = (path) => {
      if (path !== '/all' && path !== '/settled') return { status: 200, delayMs: 0 };
      const r = Math.random();
      return { status: r < 0.35 ? 503 : 200, delayMs: Math.floor(Math.random() * 60) };
    };
    const types = ['payment.initiated', 'payment.authorized', 'payment.settled'];
    const events = Array.from({ length: 30 }, (_, i) => event(i + 1, types[i % 3]));
    expect(await consume(events)).toEqual(events.map((e) => (e.type === 'payment.settled' ? 2 : 1)));
    // The same events again (a redelivered batch): no new delivery rows.
    expect(await consume(events)).toEqual(events.map(() => 0));

    await waitFor(
      'every delivery delivered',
      async () => {
        const [a, s] = await Promise.all([deliveries(all.id), deliveries(settled.id)]);
        return a.length === 30 && s.length === 10 && [...a, ...s].every((d) => d.status === 'DELIVERED');
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    const now = Math.floor(Date.now() / 1000);
    const byPath = (p: string) => receiver.received.filter((r) => r.path === p);
    expect(new Set(byPath('/all').map((r) => r.eventId))).toEqual(new Set(events.map((e) => e.eventId)));
    expect(new Set(byPath('/settled').map((r) => r.eventId))).toEqual(
      new Set(events.filter((e) => e.type === 'payment.settled').map((e) => e.eventId)),
    );
    for (const r of byPath('/all')) expect(verifySignature(r.signature, all.secret, r.body, now).ok).toBe(true);
    for (const r of byPath('/settled')) {
      expect(verifySignature(r.signature, 'a-caller-chosen-secret', r.body, now).ok).toBe(true);
      expect(JSON.parse(r.body)).toEqual(events.find((e) => e.eventId === r.eventId));
    }
    // Every failed attempt is in the log before the successful one.
    const log = await deliveries(all.id);
    for (const d of log) {
      expect(d.attemptLog).toHaveLength(d.attempts);
      expect(d.attemptLog[d.attempts - 1].statusCode).toBe(200);
      for (const a of d.attemptLog.slice(0, -1))
        expect(a).toMatchObject({ statusCode: 503, error: 'HTTP 503: receiver says no' });
    }
    expect(log.some((d) => d.attempts > 1)).toBe(true);
    const rows = await dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM webhook_deliveries GROUP BY event_id, webhook_id HAVING count(*) > 1`,
    );
    expect(rows).toEqual([]);
    // Per-endpoint concurrency limit (2) held.
    expect(receiver.maxConcurrent.get('/all')).toBeLessThanOrEqual(2);
  });

  it('signs with both secrets during a rotation, each of which verifies', async () => {
    const hook = await createWebhook({ url: `${base}/rotating`, events: ['payment.failed'] });
    receiver.behaviour = () => ({ status: 200, delayMs: 0 });
    const rotated = await app.inject({
      method: 'POST',
      url: `/v1/webhooks/${hook.id}/rotate-secret`,
      payload: { previousSecretTtlSeconds: 3600 },
    });
    expect(rotated.statusCode).toBe(200);
    const { secret: newSecret, previousSecretExpiresAt } = rotated.json<{
      secret: string;
      previousSecretExpiresAt: string;
    }>();
    expect(newSecret).not.toBe(hook.secret);
    expect(Date.parse(previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const e = event(500, 'payment.failed');
    await consume([e]);
    const got = await waitFor('the rotated delivery', () =>
      receiver.received.find((r) => r.path === '/rotating' && r.eventId === e.eventId),
    );
    expect(got.signature.match(/v1=/g)).toHaveLength(2);
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature(got.signature, newSecret, got.body, now).ok).toBe(true);
    expect(verifySignature(got.signature, hook.secret, got.body, now).ok).toBe(true);
  });

  it('marks a delivery dead after its last attempt (timeouts included) and redelivers it on request', async () => {
    const hook = await createWebhook({ url: `${base}/down`, events: ['payment.rejected'] });
    let up = false;
    receiver.behaviour = (path) =>
      path === '/down' && !up ? { status: 200, delayMs: 2000 } : { status: 200, delayMs: 0 };
    const e = event(600, 'payment.rejected');
    await consume([e], 2);
    const dead = await waitFor(
      'the delivery to die',
      async () => (await deliveries(hook.id)).find((d) => d.status === 'DEAD'),
      { timeoutMs: 20_000 },
    );
    expect(dead.attempts).toBe(2);
    expect(dead.attemptLog.map((a) => a.error)).toEqual(['timeout after 500 ms', 'timeout after 500 ms']);
    expect(dead.attemptLog.every((a) => a.statusCode === null && a.durationMs >= 500 && !a.manual)).toBe(true);

    up = true;
    const res = await app.inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/deliveries/${dead.id}/redeliver` });
    expect(res.statusCode).toBe(202);
    const delivered = await waitFor(
      'the manual redelivery',
      async () => (await deliveries(hook.id)).find((d) => d.status === 'DELIVERED'),
      { timeoutMs: 20_000 },
    );
    expect(delivered.attempts).toBe(3);
    expect(delivered.attemptLog[2]).toMatchObject({ attempt: 3, statusCode: 200, error: null, manual: true });
    const unknown = await app.inject({
      method: 'POST',
      url: `/v1/webhooks/${hook.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`,
    });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('webhook SSRF guard (private URLs not allowed)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  const receiver = new Receiver();
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase('notif_ssrf');
    base = await receiver.start();
    app = await bootApp(database, { NOTIFICATIONS_DISPATCH_INTERVAL_MS: '20', NOTIFICATIONS_RETRY_BASE_MS: '20' });
  });

  afterAll(async () => {
    await app?.close();
    await receiver.stop();
    await database?.drop();
  });

  it.each([
    'http://127.0.0.1:9/hook',
    'http://localhost/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/x',
  ])('refuses to subscribe %s with 422', async (url) => {
    const res = await app.inject({ method: 'POST', url: '/v1/webhooks', payload: { url, events: ['*'] } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN', errors: [{ field: 'url' }] });
  });

  it('refuses to connect when a subscribed host turns private later (DNS rebinding): the attempt fails, nothing is sent', async () => {
    const dataSource = app.get(DataSource);
    // As if the hosts had resolved to public addresses at subscription time.
    const hooks = {
      '11111111-1111-4111-8111-111111111111': `${base}/literal`,
      '22222222-2222-4222-8222-222222222222': base.replace('127.0.0.1', 'localhost') + '/by-name',
    };
    for (const [id, url] of Object.entries(hooks)) {
      await dataSource.query(
        `INSERT INTO webhooks (id, url, events, secret) VALUES ($1, $2, '{*}', 'a-secret-of-enough-length')`,
        [id, url],
      );
    }
    const e = event(700, 'payment.settled');
    await dataSource.transaction((m) => DeliveryRepository.createForEvent(m, e, JSON.stringify(e), 1));
    for (const id of Object.keys(hooks)) {
      const dead = await waitFor('the refused attempt', async () => {
        const r = await app.inject({ method: 'GET', url: `/v1/webhooks/${id}/deliveries` });
        const item = r.json<{ items: DeliveryView[] }>().items[0];
        return item?.status === 'DEAD' ? item : undefined;
      });
      expect(dead.attemptLog).toEqual([
        expect.objectContaining({
          statusCode: null,
          error: expect.stringMatching(/^WEBHOOK_URL_FORBIDDEN: refusing to connect/),
        }),
      ]);
    }
    expect(receiver.received).toEqual([]);
  });
});
