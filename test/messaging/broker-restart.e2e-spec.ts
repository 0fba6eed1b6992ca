import type { AnyEvent } from '@paystream/contracts';
import { ExactlyOnceConsumer, Outbox, OutboxRelay, SchemaRegistryCodec } from '@paystream/messaging';
import { TEST_REGISTRY_URL, TestDatabase, createTopics, uniqueName, waitFor } from '@paystream/testing';
import { logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { createMigratedDatabase, effectCounts, paymentInitiated, recordEffect } from './messaging-fixtures';
import { PrivateBroker } from './private-broker';

// The broker is killed and restarted while the outbox keeps taking events and the relay and the
// consumer are running. The test runs its own single-node broker (the shared one must stay up).
describe('broker stopped and restarted while producing and consuming', () => {
  const topic = uniqueName('eo_broker');
  const group = uniqueName('eo_broker_group');
  const broker = new PrivateBroker();
  let db: TestDatabase;
  let dataSource: DataSource;
  let relay: OutboxRelay | undefined;
  let consumer: ExactlyOnceConsumer | undefined;

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('eo_broker'));
    await broker.start();
    await createTopics([{ name: topic, partitions: 3 }], broker.brokers);
  }, 180_000);

  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await broker.destroy();
    await dataSource?.destroy();
    await db?.drop();
  }, 120_000);

  it('keeps accepting appends while the broker is down and applies every event exactly once after it is back', async () => {
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const kafkaConfig = {
      clientId: 'eo-broker',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    };
    const outbox = new Outbox(codec);
    relay = new OutboxRelay({ dataSource, codec, kafkaConfig, pollIntervalMs: 300 });
    await relay.start();
    consumer = new ExactlyOnceConsumer({
      dataSource,
      codec,
      kafkaConfig,
      group,
      topics: [topic],
      maxBatchSize: 20,
      sessionTimeoutMs: 6000,
      handler: (event, ctx) => recordEffect(ctx.manager, group, event.eventId, '', ctx.origin),
    });
    await consumer.start();

    const appended: AnyEvent[] = [];
    const append = async (n: number) => {
      const events = Array.from({ length: n }, (_, i) => paymentInitiated(`acct-${(appended.length + i) % 9}`, i));
      await dataSource.transaction((m) =>
        outbox.append(
          m,
          events.map((event) => ({ topic, key: event.data.debtorAccountId, event })),
        ),
      );
      appended.push(...events);
    };
    const applied = async () => (await effectCounts(dataSource, group)).size;

    for (let i = 0; i < 10; i++) await append(10);
    await waitFor('first events applied', async () => (await applied()) >= 50, { timeoutMs: 60_000 });

    await broker.kill();
    // The API side never depends on Kafka: appends succeed while it is away.
    for (let i = 0; i < 10; i++) await append(10);
    const [{ pending }] = await dataSource.query<Array<{ pending: number }>>(
      `SELECT count(*)::int AS pending FROM messaging_outbox WHERE sent_at IS NULL`,
    );
    expect(pending).toBeGreaterThanOrEqual(100);

    await broker.start();
    for (let i = 0; i < 5; i++) await append(10);
    await waitFor('every event applied', async () => (await applied()) === appended.length, { timeoutMs: 180_000 });

    const counts = await effectCounts(dataSource, group);
    expect(appended.map((e) => counts.get(e.eventId))).toEqual(appended.map(() => 1));
    await waitFor('outbox drained', async () => {
      const [{ left }] = await dataSource.query<Array<{ left: number }>>(
        `SELECT count(*)::int AS left FROM messaging_outbox WHERE sent_at IS NULL`,
      );
      return left === 0;
    });
  }, 400_000);
});
