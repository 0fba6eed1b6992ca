import { dlqTopic } from '@paystream/contracts';
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
import {
  createMigratedDatabase,
  deleteTopics,
  effectCounts,
  paymentInitiated,
  recordEffect,
} from '../../../../test/messaging/messaging-fixtures';
import { SchemaRegistryCodec } from '../serde';
import { ExactlyOnceConsumer } from './exactly-once-consumer';

const kafkaConfig = { clientId: 'messaging-int-rebalance', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING };

describe('ExactlyOnceConsumer under rebalances', () => {
  const topic = uniqueName('eo_rebalance');
  const group = uniqueName('eo_rebalance_group');
  let db: TestDatabase;
  let dataSource: DataSource;
  let codec: SchemaRegistryCodec;
  let dropTopics: () => Promise<void>;
  const running = new Set<ExactlyOnceConsumer>();

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('eo_rebalance'));
    dropTopics = await createTopics([{ name: topic, partitions: 4 }]);
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
  });

  afterAll(async () => {
    for (const c of running) await c.stop();
    await dataSource?.destroy();
    await dropTopics?.();
    await deleteTopics([dlqTopic(topic, group)]);
    await db?.drop();
  });

  async function startMember(): Promise<ExactlyOnceConsumer> {
    const consumer = new ExactlyOnceConsumer({
      dataSource,
      codec,
      kafkaConfig,
      group,
      topics: [topic],
      maxBatchSize: 10,
      handler: async (event, ctx) => {
        // Slow enough that rebalances happen while chunks are in flight.
        await new Promise((r) => setTimeout(r, 15));
        await recordEffect(ctx.manager, group, event.eventId, '', ctx.origin);
      },
    });
    running.add(consumer);
    await consumer.start();
    return consumer;
  }

  it('applies every event exactly once while members join and leave during processing', async () => {
    const events = Array.from({ length: 600 }, (_, i) => paymentInitiated(`acct-${i % 16}`, i));
    const producer = testKafka('eo-rebalance-producer').producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: await Promise.all(
        events.map(async (e) => ({ key: e.data.debtorAccountId, value: await codec.encode(topic, e) })),
      ),
    });
    await producer.disconnect();

    await startMember();
    await startMember();
    const applied = async () => (await effectCounts(dataSource, group)).size;
    // Force rebalances mid-stream: a third member joins, then leaves, twice.
    for (let round = 0; round < 2; round++) {
      const extra = await startMember();
      const before = await applied();
      await waitFor(
        'progress after the join',
        async () => {
          const now = await applied();
          return now > before + 20 || now === events.length;
        },
        { timeoutMs: 60_000 },
      );
      await extra.stop();
      running.delete(extra);
    }
    await waitFor('all events applied', async () => (await applied()) === events.length, { timeoutMs: 120_000 });

    const counts = await effectCounts(dataSource, group);
    expect(events.map((e) => counts.get(e.eventId))).toEqual(events.map(() => 1));
    const [{ total }] = await dataSource.query<Array<{ total: number }>>(
      `SELECT sum(next_offset)::int AS total FROM messaging_consumer_offsets WHERE group_id = $1`,
      [group],
    );
    expect(total).toBe(events.length);
  });
});
