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
  riskAssessed,
} from '../../../../test/messaging/messaging-fixtures';
import { SchemaRegistryCodec } from '../serde';
import { ExactlyOnceConsumer } from './exactly-once-consumer';

describe('ExactlyOnceConsumer with acceptTypes', () => {
  const topic = uniqueName('eo_accept');
  const group = uniqueName('eo_accept_group');
  let db: TestDatabase;
  let dataSource: DataSource;
  let deleteTopics: () => Promise<void>;
  let consumer: ExactlyOnceConsumer | undefined;

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('eo_accept'));
    deleteTopics = await createTopics([
      { name: topic, partitions: 1 },
      { name: dlqTopic(topic, group), partitions: 1 },
    ]);
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await dataSource?.destroy();
    await deleteTopics?.();
    await db?.drop();
  }, 60_000);

  it('passes over other types by their header without decoding or a dedupe row, and moves the offset past them', async () => {
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const initiated = Array.from({ length: 6 }, (_, i) => paymentInitiated('acct-accept', i));
    const value = (e: Parameters<SchemaRegistryCodec['encode']>[1]) => codec.encode(topic, e);
    // Offsets 0..9: accepted with header, other type with header, a body no codec can read whose
    // header names another type (skipped undecoded, so never dead-lettered), records without a
    // type header (decoded: the accepted one is applied, the other skipped after decoding).
    const messages = [
      { value: await value(initiated[0]), headers: { type: initiated[0].type, eventId: initiated[0].eventId } },
      { value: await value(riskAssessed(initiated[0])), headers: { type: 'risk.assessed' } },
      { value: Buffer.from('not avro at all'), headers: { type: 'risk.assessed' } },
      { value: await value(initiated[1]), headers: { type: initiated[1].type } },
      { value: await value(initiated[2]) },
      { value: await value(riskAssessed(initiated[2])) },
      { value: await value(riskAssessed(initiated[3])), headers: { type: 'risk.assessed' } },
      { value: await value(initiated[3]), headers: { type: initiated[3].type } },
      { value: await value(initiated[4]), headers: { type: initiated[4].type } },
      // The last record of the topic is skipped: the stored offset must still reach 10.
      { value: await value(riskAssessed(initiated[4])), headers: { type: 'risk.assessed' } },
    ];
    const applied = [initiated[0], initiated[1], initiated[2], initiated[3], initiated[4]];
    const producer = testKafka('eo-accept-producer').producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: 'acct-accept', ...m })) });
    await producer.disconnect();

    const metrics = new Metrics('eo-accept-test');
    const seenTypes: string[] = [];
    consumer = new ExactlyOnceConsumer({
      dataSource,
      codec,
      kafkaConfig: { clientId: 'eo-accept', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
      group,
      topics: [topic],
      acceptTypes: ['payment.initiated'],
      maxBatchSize: 4,
      metrics,
      handler: async (event, ctx) => {
        seenTypes.push(event.type);
        await recordEffect(ctx.manager, group, event.eventId, '', ctx.origin);
      },
    });
    await consumer.start();

    const storedOffset = async () =>
      (
        await dataSource.query<Array<{ next: string }>>(
          `SELECT next_offset::text AS next FROM messaging_consumer_offsets WHERE group_id = $1`,
          [group],
        )
      )[0]?.next;
    await waitFor('the stored offset past every record', async () => (await storedOffset()) === '10');

    expect(seenTypes).toEqual(applied.map(() => 'payment.initiated'));
    const counts = await effectCounts(dataSource, group);
    expect(new Map([...counts])).toEqual(new Map(applied.map((e) => [e.eventId, 1])));
    const dedupe = await dataSource.query<Array<{ event_id: string }>>(
      `SELECT event_id FROM messaging_processed_events WHERE group_id = $1 ORDER BY event_id`,
      [group],
    );
    expect(dedupe.map((r) => r.event_id)).toEqual(applied.map((e) => e.eventId).sort());

    const admin = testKafka('eo-accept-admin').admin();
    await admin.connect();
    const dlqEnd = await admin.fetchTopicOffsets(dlqTopic(topic, group)).finally(() => admin.disconnect());
    expect(dlqEnd.map((p) => p.high)).toEqual(['0']);
    const text = await metrics.text();
    expect(text).toMatch(new RegExp(`messaging_consumer_skipped_total\\{[^}]*group="${group}"[^}]*\\} 5`));
    expect(text).toMatch(new RegExp(`messaging_consumer_applied_total\\{[^}]*group="${group}"[^}]*\\} 5`));
  }, 60_000);
});
