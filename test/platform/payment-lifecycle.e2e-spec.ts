import { createHmac, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  ContractTopics,
  ServiceProcess,
  TestDatabase,
  commitGroupOffsets,
  contractTopicEnv,
  createContractTopics,
  createTestDatabase,
  startService,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';

/**
 * The whole platform as processes (the built apps, as `npm start` runs them) on the real broker,
 * registry and PostgreSQL, each service with a fresh database and its own consumer group whose
 * offsets start at the end of the topics. The topics are this test's own copies of the contract
 * topics (same partitions and config): `npm start` and the benchmarks run the platform on the
 * contract topics of the same broker, and neither must see the other's events.
 * One payment of each outcome goes through payment → risk → payment → ledger → payment, and
 * every consumer group sees all of them once.
 */
const SERVICES = [
  ['ledger', 3101, 'LEDGER_CONSUMER_GROUP', ['paymentEvents']],
  ['risk', 3103, 'RISK_CONSUMER_GROUP', ['paymentEvents']],
  ['audit', 3102, 'AUDIT_CONSUMER_GROUP', ['paymentEvents', 'riskDecisions', 'ledgerResults']],
  ['notifications', 3104, 'NOTIFICATIONS_CONSUMER_GROUP', ['paymentEvents']],
  ['analytics', 3105, 'ANALYTICS_CONSUMER_GROUP', ['paymentEvents']],
  ['payment', 3100, 'PAYMENT_CONSUMER_GROUP', ['riskDecisions', 'ledgerResults']],
] as const;

const sortByPartition = (ps: Array<{ partition: number; offset: string }>) =>
  [...ps].sort((a, b) => a.partition - b.partition).map(({ partition, offset }) => ({ partition, offset }));

interface Payment {
  id: string;
  status: string;
  reason?: string | null;
  statusHistory: { status: string }[];
}

describe('Payment lifecycle across the six services', () => {
  const run = uniqueName('e2e');
  let topics: ContractTopics | undefined;
  const dbs: TestDatabase[] = [];
  const apps = new Map<string, ServiceProcess>();
  let receiver: Server;
  const received: { eventId: string; type: string; signature: string; body: string }[] = [];
  const secret = 'whsec_e2e_synthetic_secret_0123456789';

  const url = (service: string, path: string) => apps.get(service)!.url(path);
  const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;

  beforeAll(async () => {
    const own = await createContractTopics('platform-e2e');
    topics = own;
    // Each group starts where the topics end now: commit those offsets before its first member
    // joins (one commit request per group; admin.setOffsets joined each group for ~5 s a topic).
    const admin = testKafka('platform-e2e').admin();
    await admin.connect();
    try {
      for (const [service, , , keys] of SERVICES) {
        const offsets = await Promise.all(
          keys.map(async (key) => ({
            topic: own[key],
            partitions: (await admin.fetchTopicOffsets(own[key])).map((p) => ({
              partition: p.partition,
              offset: p.high,
            })),
          })),
        );
        await commitGroupOffsets(`${run}_${service}`, offsets);
        // Read back: the services' consumers start from exactly these.
        const committed = await admin.fetchOffsets({
          groupId: `${run}_${service}`,
          topics: offsets.map((t) => t.topic),
        });
        expect(committed.map((t) => ({ topic: t.topic, partitions: sortByPartition(t.partitions) }))).toEqual(
          offsets.map((t) => ({ topic: t.topic, partitions: sortByPartition(t.partitions) })),
        );
      }
    } finally {
      await admin.disconnect();
    }

    receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as { type: string };
        received.push({
          eventId: String(req.headers['paystream-event-id']),
          type: parsed.type,
          signature: String(req.headers['paystream-signature']),
          body,
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));

    for (const [service, port, groupVariable] of SERVICES) {
      const db = await createTestDatabase(service);
      dbs.push(db);
      apps.set(
        service,
        startService(service, port, {
          DATABASE_URL: db.serverUrl,
          DATABASE_NAME: db.name,
          [groupVariable]: `${run}_${service}`,
          PAYMENT_CONSUMER_FROM_BEGINNING: 'false',
          NOTIFICATIONS_ALLOW_PRIVATE_URLS: 'true',
          NOTIFICATIONS_DISPATCH_INTERVAL_MS: '100',
          ...contractTopicEnv(own),
        }),
      );
    }
    for (const app of apps.values()) await app.waitReady(150_000);
  });

  afterAll(async () => {
    await Promise.all([...apps.values()].map((a) => a.stop()));
    // Without a receiver (set-up failed before it) close() would never call back and the hook hang.
    if (receiver) await new Promise((r) => receiver.close(r));
    for (const db of dbs) await db.drop();
    await topics?.delete();
  });

  async function post<T>(service: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(url(service, path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${service} ${path} answered ${res.status}: ${await res.text()}`);
    return json<T>(res);
  }

  const pay = (debtorAccountId: string, creditorAccountId: string, amount: string) =>
    post<Payment>(
      'payment',
      '/v1/payments',
      { debtorAccountId, creditorAccountId, amount, currency: 'EUR', reference: 'e2e' },
      { 'idempotency-key': randomUUID() },
    );

  const finalStatus = (id: string) =>
    waitFor(
      `payment ${id} final`,
      async () => {
        const p = await json<Payment>(await fetch(url('payment', `/v1/payments/${id}`)));
        return ['SETTLED', 'FAILED', 'REJECTED'].includes(p.status) ? p : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );

  it('settles a funded payment, rejects one over the risk limit and fails one without funds', async () => {
    const run = randomUUID().slice(0, 8);
    const funding = `funding-${run}`;
    const alice = `alice-${run}`;
    const bob = `bob-${run}`;
    await post('ledger', '/v1/accounts', { id: funding, currency: 'EUR', allowOverdraft: true, name: 'Funding' });
    await post('ledger', '/v1/accounts', { id: alice, currency: 'EUR' });
    await post('ledger', '/v1/accounts', { id: bob, currency: 'EUR' });
    await post('notifications', '/v1/webhooks', {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      events: ['payment.settled', 'payment.failed', 'payment.rejected'],
      secret,
    });

    const funded = await pay(funding, alice, '500.00');
    const tooLarge = await pay(funding, bob, '20000.00');
    const settledFunded = await finalStatus(funded.id);
    // Alice holds 500.00 once the first payment settled; 800.00 is within risk limits but not her funds.
    const overdrawn = await pay(alice, bob, '800.00');

    expect(settledFunded.status).toBe('SETTLED');
    expect(settledFunded.statusHistory.map((h) => h.status)).toEqual(['PENDING', 'AUTHORIZED', 'SETTLED']);
    const rejected = await finalStatus(tooLarge.id);
    expect(rejected).toMatchObject({ status: 'REJECTED', reason: 'RISK_AMOUNT_LIMIT' });
    const failed = await finalStatus(overdrawn.id);
    expect(failed).toMatchObject({ status: 'FAILED', reason: 'INSUFFICIENT_FUNDS' });
    expect(failed.statusHistory.map((h) => h.status)).toEqual(['PENDING', 'AUTHORIZED', 'FAILED']);

    // Money moved once: only the funded payment posted.
    const balance = async (id: string) =>
      (await json<{ balance: string }>(await fetch(url('ledger', `/v1/accounts/${id}`)))).balance;
    expect(await balance(alice)).toBe('500.00');
    expect(await balance(bob)).toBe('0.00');
    expect(await balance(funding)).toBe('-500.00');
    const invariants = await json<{ ok?: boolean; valid?: boolean }>(
      await fetch(url('ledger', '/v1/ledger/invariants')),
    );
    expect(invariants.ok ?? invariants.valid).toBe(true);

    // Risk kept one decision per payment.
    const decision = await json<{ decision: string }>(await fetch(url('risk', `/v1/risk/decisions/${tooLarge.id}`)));
    expect(decision.decision).toBe('REJECT');

    // Audit: 3 initiated + 3 risk.assessed + 2 authorized + 1 rejected + 2 ledger results + 2 final = 13 events.
    const verify = await waitFor('audit trail complete', async () => {
      const v = await json<{ valid: boolean; events: number }>(await fetch(url('audit', '/v1/audit/verify')));
      return v.events >= 13 ? v : undefined;
    });
    expect(verify).toMatchObject({ valid: true, events: 13 });

    // Analytics counted each payment exactly once.
    const summary = await waitFor('analytics caught up', async () => {
      const s = await json<{ payments: number; byStatus: Record<string, { count: number } | number> }>(
        await fetch(url('analytics', '/v1/analytics/summary?currency=EUR')),
      );
      return s.payments === 3 ? s : undefined;
    });
    expect(summary.payments).toBe(3);

    // Notifications delivered the three final events, each signed with the subscription's secret.
    await waitFor('webhooks delivered', () => received.length >= 3, { timeoutMs: 60_000 });
    expect(received.map((r) => r.type).sort()).toEqual(['payment.failed', 'payment.rejected', 'payment.settled']);
    for (const r of received) {
      const [t, v1] = r.signature.split(',').map((part) => part.split('=')[1]);
      expect(createHmac('sha256', secret).update(`${t}.${r.body}`).digest('hex')).toBe(v1);
    }
  });
});
