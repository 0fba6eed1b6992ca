import { dlqTopic } from '@paystream/contracts';
import { Metrics } from '@paystream/observability';
import { createDataSource } from '@paystream/persistence';
import {
  TEST_BROKERS,
  TEST_REGISTRY_URL,
  TEST_SERVER_URL,
  TestDatabase,
  createTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import {
  createMigratedDatabase,
  deleteTopics,
  effectCounts,
  paymentInitiated,
  recordEffect,
} from '../../../../test/messaging/messaging-fixtures';
import { SchemaRegistryCodec } from '../serde';
import { ExactlyOnceConsumer } from './exactly-once-consumer';

describe('ExactlyOnceConsumer when PostgreSQL drops its connections', () => {
  const topic = uniqueName('eo_pgkill');
  const group = uniqueName('eo_pgkill_group');
  const appName = uniqueName('eo-pgkill-consumer');
  let db: TestDatabase;
  let dataSource: DataSource;
  let consumerDataSource: DataSource;
  let consumer: ExactlyOnceConsumer | undefined;
  let dropTopics: () => Promise<void>;

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('eo_pgkill'));
    dropTopics = await createTopics([{ name: topic, partitions: 2 }]);
    consumerDataSource = createDataSource({
      serverUrl: TEST_SERVER_URL,
      database: db.name,
      poolSize: 3,
      entities: [],
      migrations: [],
      applicationName: appName,
    });
    await consumerDataSource.initialize();
  });

  afterAll(async () => {
    await consumer?.stop();
    await consumerDataSource?.destroy();
    await dataSource?.destroy();
    await dropTopics?.();
    await deleteTopics([dlqTopic(topic, group)]);
    await db?.drop();
  });

  it('retries chunks whose connection was terminated (pg_terminate_backend) and applies every event exactly once', async () => {
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const events = Array.from({ length: 600 }, (_, i) => paymentInitiated(`acct-${i % 8}`, i));
    const producer = testKafka('eo-pgkill-producer').producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: await Promise.all(
        events.map(async (e) => ({ key: e.data.debtorAccountId, value: await codec.encode(topic, e) })),
      ),
    });
    await producer.disconnect();

    const metrics = new Metrics('eo-pgkill');
    consumer = new ExactlyOnceConsumer({
      dataSource: consumerDataSource,
      codec,
      kafkaConfig: { clientId: 'eo-pgkill', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
      group,
      topics: [topic],
      maxBatchSize: 30,
      metrics,
      handler: async (event, ctx) => {
        await ctx.manager.query('SELECT pg_sleep(0.002)');
        await recordEffect(ctx.manager, group, event.eventId, '', ctx.origin);
      },
    });
    await consumer.start();

    // Terminate the consumer's backends while they are inside a transaction, until it is done.
    let terminated = 0;
    const kill = async () => {
      const rows = await dataSource.query<Array<{ ok: boolean }>>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE application_name = $1 AND datname = $2 AND state IN ('active', 'idle in transaction')`,
        [appName, db.name],
      );
      terminated += rows.filter((r) => r.ok).length;
    };
    await waitFor(
      'every event applied under connection kills',
      async () => {
        if (terminated < 8) await kill();
        return (await effectCounts(dataSource, group)).size === events.length;
      },
      { timeoutMs: 120_000, intervalMs: 150 },
    );

    expect(terminated).toBeGreaterThanOrEqual(3);
    const counts = await effectCounts(dataSource, group);
    expect(events.map((e) => counts.get(e.eventId))).toEqual(events.map(() => 1));
    const retries = await metrics.registry.getSingleMetric('messaging_consumer_retries_total')?.get();
    expect(retries?.values.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThanOrEqual(1);
    const dlq = await metrics.registry.getSingleMetric('messaging_consumer_dlq_total')?.get();
    expect(dlq?.values.reduce((sum, v) => sum + v.value, 0) ?? 0).toBe(0);
  });
});
