import { dlqTopic } from '@paystream/contracts';
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
import {
  createMigratedDatabase,
  effectCounts,
  paymentInitiated,
  recordEffect,
} from '../../../../test/messaging/messaging-fixtures';
import { SchemaRegistryCodec } from '../serde';
import { ExactlyOnceConsumer } from './exactly-once-consumer';

describe('ExactlyOnceConsumer with events published again under new offsets', () => {
  const topic = uniqueName('eo_redelivered');
  const group = uniqueName('eo_redelivered_group');
  let db: TestDatabase;
  let dataSource: DataSource;
  let deleteTopics: () => Promise<void>;
  let consumer: ExactlyOnceConsumer | undefined;

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('eo_redelivered'));
    deleteTopics = await createTopics([
      { name: topic, partitions: 1 },
      { name: dlqTopic(topic, group), partitions: 1 },
    ]);
  });

  afterAll(async () => {
    await consumer?.stop();
    await dataSource?.destroy();
    await deleteTopics?.();
    await db?.drop();
  });

  it('applies new events and skips copies of applied ones in a chunk whose plain dedupe insert hits the primary key', async () => {
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const first = Array.from({ length: 5 }, (_, i) => paymentInitiated('acct-again', i));
    const later = Array.from({ length: 3 }, (_, i) => paymentInitiated('acct-again', 10 + i));
    const producer = testKafka('eo-redelivered-producer').producer({ idempotent: true });
    await producer.connect();
    const send = async (events: typeof first) =>
      producer.send({
        topic,
        acks: -1,
        messages: await Promise.all(
          events.map(async (e) => ({ key: 'acct-again', value: await codec.encode(topic, e) })),
        ),
      });
    const metrics = new Metrics('eo-redelivered-test');
    const storedOffset = async () =>
      (
        await dataSource.query<Array<{ next: string }>>(
          `SELECT next_offset::text AS next FROM messaging_consumer_offsets WHERE group_id = $1`,
          [group],
        )
      )[0]?.next;
    consumer = new ExactlyOnceConsumer({
      dataSource,
      codec,
      kafkaConfig: { clientId: 'eo-redelivered', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
      group,
      topics: [topic],
      metrics,
      handler: (event, ctx) => recordEffect(ctx.manager, group, event.eventId, '', ctx.origin),
    });
    await consumer.start();
    await send(first);
    await waitFor('the first five applied', async () => (await storedOffset()) === '5');

    // What a relay that crashed between publish and mark does: the same events (same eventIds)
    // once more, at new offsets, here mixed with new ones in one chunk.
    await send([first[3], later[0], first[0], later[1], first[4], later[2]]);
    await waitFor('the second batch past', async () => (await storedOffset()) === '11');

    const counts = await effectCounts(dataSource, group);
    expect(new Map([...counts])).toEqual(new Map([...first, ...later].map((e) => [e.eventId, 1])));
    const text = await metrics.text();
    expect(text).toMatch(new RegExp(`messaging_consumer_duplicates_total\\{[^}]*group="${group}"[^}]*\\} 3`));
    expect(text).toMatch(new RegExp(`messaging_consumer_applied_total\\{[^}]*group="${group}"[^}]*\\} 8`));
    await producer.disconnect();
  });
});
