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
import { createMigratedDatabase, dlqHeaders, paymentInitiated } from '../../../../test/messaging/messaging-fixtures';
import { SchemaRegistryCodec } from '../serde';
import { ExactlyOnceConsumer } from './exactly-once-consumer';

describe('ExactlyOnceConsumer when a deferred flush fails', () => {
  const topic = uniqueName('eo_flush');
  const group = uniqueName('eo_flush_group');
  let db: TestDatabase;
  let dataSource: DataSource;
  let deleteTopics: () => Promise<void>;
  let consumer: ExactlyOnceConsumer | undefined;

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('eo_flush'));
    // The handlers' own table: amounts of 13.00 break its invariant (a CHECK constraint).
    await dataSource.query(
      `CREATE TABLE flushed_amounts (event_id TEXT PRIMARY KEY, amount TEXT NOT NULL CHECK (amount <> '13.00'))`,
    );
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

  it('finds the record that broke a multi-row flush, dead-letters it alone and applies the others once', async () => {
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const events = Array.from({ length: 30 }, (_, i) => paymentInitiated('acct-flush', i));
    const culprit = events[13];
    const producer = testKafka('eo-flush-producer').producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: await Promise.all(
        events.map(async (e) => ({ key: 'acct-flush', value: await codec.encode(topic, e) })),
      ),
    });
    await producer.disconnect();

    consumer = new ExactlyOnceConsumer({
      dataSource,
      codec,
      kafkaConfig: { clientId: 'eo-flush', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
      group,
      topics: [topic],
      handler: (event, ctx) => {
        if (event.type !== 'payment.initiated') return Promise.resolve();
        const rows = ctx.batchState<{ ids: string[]; amounts: string[] }>('amounts', () => ({ ids: [], amounts: [] }));
        rows.ids.push(event.eventId);
        rows.amounts.push(event.data.amount);
        ctx.deferUntilCommit('amounts', (m) =>
          m.query(`INSERT INTO flushed_amounts (event_id, amount) SELECT * FROM unnest($1::text[], $2::text[])`, [
            rows.ids,
            rows.amounts,
          ]),
        );
        return Promise.resolve();
      },
    });
    await consumer.start();

    await waitFor('the partition past every record', async () => {
      const rows = await dataSource.query<Array<{ next: string }>>(
        `SELECT next_offset AS next FROM messaging_consumer_offsets WHERE group_id = $1`,
        [group],
      );
      return rows[0]?.next === '30';
    });
    const applied = await dataSource.query<Array<{ event_id: string }>>(`SELECT event_id FROM flushed_amounts`);
    expect(new Set(applied.map((r) => r.event_id))).toEqual(
      new Set(events.filter((e) => e !== culprit).map((e) => e.eventId)),
    );
    expect(applied).toHaveLength(29);

    const dead = await dlqHeaders(topic, group, 1);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ 'dlq.offset': '13', 'dlq.errorCode': '23514', 'dlq.eventId': culprit.eventId });
  });
});
