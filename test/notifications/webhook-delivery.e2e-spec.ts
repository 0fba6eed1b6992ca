import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { SchemaRegistryCodec } from '@paystream/messaging';
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
import { produceEvents, seeded, simulatePayments } from '../analytics/payment-event-fixtures';

// Needs the build (`npm run build`; `npm test` builds first): notifications runs from dist/ as a process.

/**
 * What a receiver does (apps/notifications/README.md), written here independently of the
 * service's code: parse t and every v1, check the tolerance window, compare in constant time.
 */
function verifySignature(header: string, secret: string, body: string, nowSeconds: number): { ok: boolean } {
  const parts = header.split(',').map((p) => p.split('=', 2) as [string, string]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return { ok: false };
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const ok = parts
    .filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v))
    .some(([, v]) => timingSafeEqual(Buffer.from(v, 'hex'), expected));
  return { ok };
}

/** A receiver that fails a third of the requests and answers after a random delay. */
class FlakyReceiver {
  /** Event ids accepted (2xx) per path; a redelivered event shows up twice in `requests`. */
  readonly accepted = new Map<string, Set<string>>();
  requests = 0;
  badSignatures: string[] = [];
  private readonly server: http.Server;
  secrets = new Map<string, string>();

  constructor(private readonly rnd: () => number) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const path = req.url ?? '/';
        const body = Buffer.concat(chunks).toString('utf8');
        const eventId = String(req.headers['paystream-event-id']);
        const verdict = verifySignature(
          String(req.headers['paystream-signature']),
          this.secrets.get(path) ?? '',
          body,
          Math.floor(Date.now() / 1000),
        );
        const parsed = JSON.parse(body) as { eventId?: string };
        if (!verdict.ok || parsed.eventId !== eventId) this.badSignatures.push(`${path} ${eventId}`);
        const fail = this.rnd() < 0.33;
        setTimeout(
          () => {
            if (!fail) {
              const set = this.accepted.get(path) ?? new Set<string>();
              set.add(eventId);
              this.accepted.set(path, set);
            }
            res.writeHead(fail ? 500 : 204).end();
          },
          Math.floor(this.rnd() * 150),
        );
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

describe('notifications deliver every event, signed, once per webhook', () => {
  const topic = uniqueName('payment-events-notifications');
  const group = uniqueName('notifications');
  const receiver = new FlakyReceiver(seeded(4242));
  let database: TestDatabase;
  let deleteTopics: (() => Promise<void>) | undefined;
  let producer: Producer | undefined;
  let service: ServiceProcess | undefined;
  let db: Client | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('notifications_e2e');
    deleteTopics = await createTopics([{ name: topic, partitions: 3 }]);
    producer = testKafka('notifications-e2e-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await service?.stop();
    await db?.end();
    await producer?.disconnect();
    await receiver.stop();
    await deleteTopics?.();
    await database?.drop();
  });

  function start(): ServiceProcess {
    return startService('notifications', 3104, {
      DATABASE_NAME: database.name,
      DATABASE_URL: database.serverUrl,
      DATABASE_POOL_SIZE: '4',
      NOTIFICATIONS_TOPIC: topic,
      NOTIFICATIONS_CONSUMER_GROUP: group,
      NOTIFICATIONS_BATCH_SIZE: '10',
      NOTIFICATIONS_ALLOW_PRIVATE_URLS: 'true',
      NOTIFICATIONS_DISPATCH_INTERVAL_MS: '50',
      NOTIFICATIONS_RETRY_BASE_MS: '50',
      NOTIFICATIONS_RETRY_MAX_MS: '500',
      NOTIFICATIONS_MAX_ATTEMPTS: '30',
      NOTIFICATIONS_DELIVERY_TIMEOUT_MS: '2000',
      KAFKA_CLIENT_ID: uniqueName('notifications-e2e'),
    });
  }

  async function createWebhook(path: string, events: string[]): Promise<string> {
    const res = await fetch(service!.url('/v1/webhooks'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${base}${path}`, events }),
    });
    expect(res.status).toBe(201);
    const { id, secret } = (await res.json()) as { id: string; secret: string };
    receiver.secrets.set(path, secret);
    return id;
  }

  async function counts(): Promise<{ rows: number; delivered: number; duplicates: number }> {
    const r = await db!.query<{ rows: string; delivered: string; duplicates: string }>(`
      SELECT count(*) AS rows,
             count(*) FILTER (WHERE status = 'DELIVERED') AS delivered,
             (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries GROUP BY event_id, webhook_id HAVING count(*) > 1) d)
               AS duplicates
        FROM webhook_deliveries`);
    return {
      rows: Number(r.rows[0].rows),
      delivered: Number(r.rows[0].delivered),
      duplicates: Number(r.rows[0].duplicates),
    };
  }

  let base = '';

  it('delivers through random failures and delays, and kill -9 duplicates no delivery record', async () => {
    base = await receiver.start();
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const payments = simulatePayments(40, seeded(99));
    const allEvents = payments.flatMap((p) => p.events);
    const settledIds = new Set(allEvents.filter((e) => e.type === 'payment.settled').map((e) => e.eventId));
    const expectedRows = allEvents.length + settledIds.size;

    service = start();
    await service.waitReady(90_000);
    db = new Client({ connectionString: database.url });
    await db.connect();
    const allHook = await createWebhook('/all', ['*']);
    await createWebhook('/settled', ['payment.settled']);

    await produceEvents(producer!, codec, topic, payments.slice(0, 20));
    // kill -9 while deliveries are being created and sent.
    await waitFor('some deliveries to be sent', async () => (await counts()).delivered >= 15, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    await service.kill();
    await service.evictFromGroup(group);
    const atKill = await counts();
    expect(atKill.delivered).toBeLessThan(expectedRows);
    await produceEvents(producer!, codec, topic, payments.slice(20));

    service = start();
    await service.waitReady(90_000);
    const done = await waitFor(
      'every delivery delivered',
      async () => {
        const c = await counts();
        return c.rows === expectedRows && c.delivered === expectedRows ? c : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    expect(done).toEqual({ rows: expectedRows, delivered: expectedRows, duplicates: 0 });

    // Every event reached each matching webhook, and every request's signature verified.
    expect(receiver.accepted.get('/all')).toEqual(new Set(allEvents.map((e) => e.eventId)));
    expect(receiver.accepted.get('/settled')).toEqual(settledIds);
    expect(receiver.badSignatures).toEqual([]);
    expect(receiver.requests).toBeGreaterThan(expectedRows); // failures were retried

    // The attempt log shows the failures before each success.
    const res = await fetch(service.url(`/v1/webhooks/${allHook}/deliveries?limit=500`));
    const { items } = (await res.json()) as {
      items: Array<{ status: string; attempts: number; attemptLog: Array<{ statusCode: number | null }> }>;
    };
    expect(items).toHaveLength(allEvents.length);
    for (const d of items) {
      expect(d.status).toBe('DELIVERED');
      expect(d.attemptLog.at(-1)?.statusCode).toBe(204);
    }
    expect(items.some((d) => d.attemptLog.some((a) => a.statusCode === 500))).toBe(true);
    process.stdout.write(
      `notifications e2e: ${expectedRows} deliveries, ${receiver.requests} requests, kill -9 at ${atKill.delivered} delivered / ${atKill.rows} created\n`,
    );
  });
});
