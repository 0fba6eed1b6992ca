import { dlqTopic } from '@paystream/contracts';
import { ExactlyOnceConsumer, Outbox, SchemaRegistryCodec } from '@paystream/messaging';
import { Metrics } from '@paystream/observability';
import {
  TEST_BROKERS,
  TEST_REGISTRY_URL,
  TestDatabase,
  createTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { runChild } from './child-process';
import {
  createMigratedDatabase,
  deleteTopics,
  effectCounts,
  paymentInitiated,
  recordEffect,
} from './messaging-fixtures';

describe('outbox relay process killed between publish and mark', () => {
  const topic = uniqueName('relay_kill');
  const group = uniqueName('relay_kill_group');
  let db: TestDatabase;
  let dataSource: DataSource;
  let codec: SchemaRegistryCodec;
  let dropTopics: () => Promise<void>;
  let consumer: ExactlyOnceConsumer | undefined;

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('relay_kill'));
    dropTopics = await createTopics([{ name: topic, partitions: 2 }]);
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await dataSource?.destroy();
    await dropTopics?.();
    await deleteTopics([dlqTopic(topic, group)]);
    await db?.drop();
  }, 60_000);

  async function recordsOnTopic(): Promise<number> {
    const admin = testKafka('relay-kill-admin').admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  async function unsent(): Promise<number> {
    const [{ n }] = await dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM messaging_outbox WHERE sent_at IS NULL`,
    );
    return n;
  }

  it('loses nothing: the restarted relay publishes the rows again with the same eventIds and the consumer applies each once', async () => {
    const events = Array.from({ length: 30 }, (_, i) => paymentInitiated(`acct-${i % 3}`, i));
    const outbox = new Outbox(codec);
    await dataSource.transaction((m) =>
      outbox.append(
        m,
        events.map((event) => ({ topic, key: event.data.debtorAccountId, event })),
      ),
    );

    const doomed = runChild('relay-child.ts', { DATABASE: db.name, KILL_AFTER_PUBLISH: '1' });
    expect(await doomed.exited).toBe('SIGKILL');
    expect(await recordsOnTopic()).toBe(30);
    expect(await unsent()).toBe(30);

    const relay = runChild('relay-child.ts', { DATABASE: db.name });
    try {
      await waitFor('rows marked sent', async () => (await unsent()) === 0, { timeoutMs: 60_000 });
    } finally {
      expect(await relay.stop()).toBe(0);
    }
    expect(await recordsOnTopic()).toBe(60);

    const metrics = new Metrics('relay-kill');
    consumer = new ExactlyOnceConsumer({
      dataSource,
      codec,
      kafkaConfig: { clientId: 'relay-kill-consumer', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
      group,
      topics: [topic],
      metrics,
      handler: (event, ctx) => recordEffect(ctx.manager, group, event.eventId, '', ctx.origin),
    });
    await consumer.start();
    await waitFor('offsets at the end of the topic', async () => {
      const [{ total }] = await dataSource.query<Array<{ total: number | null }>>(
        `SELECT sum(next_offset)::int AS total FROM messaging_consumer_offsets WHERE group_id = $1`,
        [group],
      );
      return total === 60;
    });
    const counts = await effectCounts(dataSource, group);
    expect(events.map((e) => counts.get(e.eventId))).toEqual(events.map(() => 1));
    expect(counts.size).toBe(30);
    const duplicates = await metrics.registry.getSingleMetric('messaging_consumer_duplicates_total')?.get();
    expect(duplicates?.values.reduce((sum, v) => sum + v.value, 0)).toBe(30);
  }, 180_000);
});
