import net from 'node:net';
import { Client } from 'pg';
import {
  ContractTopics,
  ServiceProcess,
  TestDatabase,
  contractTopicEnv,
  createContractTopics,
  createTestDatabase,
  freePort,
  startService,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';

// Needs the build (`npm run build`; `npm test` builds first): the apps run from dist/ as processes.

/**
 * A "broker" that accepts connections and never answers: kafkajs then waits out its connection
 * and request timeouts on every retry, the slowest way a broker can be away.
 */
class SilentBroker {
  private readonly server = net.createServer((socket) => {
    this.accepted++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  private readonly sockets = new Set<net.Socket>();
  accepted = 0;

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function unsentOutboxRows(database: TestDatabase): Promise<number> {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM messaging_outbox WHERE sent_at IS NULL',
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

describe('graceful shutdown on SIGTERM', () => {
  it('payment: stops and exits 0 while its relay is stuck on a broker that never answers; the unsent row stays for the next leader', async () => {
    const broker = new SilentBroker();
    let database: TestDatabase | undefined;
    let service: ServiceProcess | undefined;
    try {
      const brokerPort = await broker.start();
      database = await createTestDatabase('shutdown_payment');
      service = startService('payment', await freePort(), {
        DATABASE_URL: database.serverUrl,
        DATABASE_NAME: database.name,
        DATABASE_POOL_SIZE: '2',
        KAFKA_BROKERS: `127.0.0.1:${brokerPort}`,
        PAYMENT_SAGA_ENABLED: 'false',
        LOG_LEVEL: 'log',
      });
      const s = service;
      // Live, not ready: readiness includes Kafka.
      await waitFor('payment live', async () => (await fetch(s.url('/health/live')).catch(() => undefined))?.ok, {
        timeoutMs: 90_000,
        intervalMs: 200,
      });
      const res = await fetch(s.url('/v1/payments'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': uniqueName('shutdown') },
        body: JSON.stringify({
          debtorAccountId: 'acct-shutdown-1',
          creditorAccountId: 'acct-shutdown-2',
          amount: '12.34',
          currency: 'EUR',
          reference: null,
        }),
      });
      expect(res.status).toBe(201);
      // The relay has picked the row up and is connecting its producer to the silent broker.
      await waitFor('the relay to reach the broker', () => Promise.resolve(broker.accepted > 0), {
        timeoutMs: 30_000,
        intervalMs: 100,
      });

      const exit = await s.stop();

      // A clean exit, not the SIGKILL stop() falls back to, nor a re-raised SIGTERM.
      expect(exit).toBe(0);
      expect(s.output.join('')).toContain('"msg":"payment stopped"');
      // Never marked sent without a publish: the next relay publishes it.
      expect(await unsentOutboxRows(database)).toBe(1);
    } finally {
      await service?.kill();
      await broker.stop();
      await database?.drop();
    }
  }, 180_000);

  it('risk: exits 0 and its consumer has left the group when the process is gone', async () => {
    let topics: ContractTopics | undefined;
    let database: TestDatabase | undefined;
    let service: ServiceProcess | undefined;
    const group = uniqueName('shutdown-risk');
    try {
      topics = await createContractTopics('shutdown-risk');
      database = await createTestDatabase('shutdown_risk');
      service = startService('risk', await freePort(), {
        DATABASE_URL: database.serverUrl,
        DATABASE_NAME: database.name,
        DATABASE_POOL_SIZE: '2',
        RISK_CONSUMER_GROUP: group,
        RISK_CONSUMER_MODE: 'kafka-transaction',
        ...contractTopicEnv(topics),
      });
      await service.waitReady(90_000);
      const admin = testKafka('shutdown-risk-admin').admin();
      await admin.connect();
      try {
        const members = async () =>
          (await admin.describeGroups([group])).groups[0].members.filter((m) =>
            m.clientId.startsWith(`${service!.kafkaClientId}-`),
          );
        await waitFor('risk to join its group', async () => (await members()).length > 0, {
          timeoutMs: 60_000,
          intervalMs: 200,
        });

        expect(await service.stop()).toBe(0);

        // Left, not merely gone: a member that only disappeared would stay listed (and keep its
        // partitions) until its 30 s session ran out.
        expect(await members()).toEqual([]);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await service?.kill();
      await database?.drop();
      await topics?.delete();
    }
  }, 180_000);
});
