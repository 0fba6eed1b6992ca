import { dlqTopic } from '@paystream/contracts';
import type { AnyEvent } from '@paystream/contracts';
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
  holdsFor,
  paymentInitiated,
  producePayments,
  recordEffect,
  riskAssessed,
} from '../../../../test/messaging/messaging-fixtures';
import { SchemaRegistryCodec } from '../serde';
import { ExactlyOnceConsumer } from './exactly-once-consumer';

const kafkaConfig = { clientId: 'messaging-int-tx', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING };

describe('ExactlyOnceConsumer in kafka-transaction mode', () => {
  const input = uniqueName('eo_tx_in');
  const output = uniqueName('eo_tx_out');
  const group = uniqueName('eo_tx_group');
  let db: TestDatabase;
  let dataSource: DataSource;
  let codec: SchemaRegistryCodec;
  let dropTopics: () => Promise<void>;
  let consumer: ExactlyOnceConsumer | undefined;

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('eo_tx'));
    dropTopics = await createTopics([
      { name: input, partitions: 2 },
      { name: output, partitions: 2 },
    ]);
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
  });

  afterAll(async () => {
    await consumer?.stop();
    await dataSource?.destroy();
    await dropTopics?.();
    await deleteTopics([dlqTopic(input, group)]);
    await db?.drop();
  });

  it('makes each output visible exactly once to a read_committed reader even when Kafka commits fail after the PostgreSQL commit', async () => {
    const events = Array.from({ length: 40 }, (_, i) => paymentInitiated(`acct-${i % 4}`, i));
    await producePayments(input, events, codec);

    let failuresLeft = 3;
    consumer = new ExactlyOnceConsumer({
      dataSource,
      codec,
      kafkaConfig,
      group,
      topics: [input],
      mode: 'kafka-transaction',
      maxBatchSize: 7,
      handler: async (event, ctx) => {
        await recordEffect(ctx.manager, group, event.eventId, '', ctx.origin);
        if (event.type === 'payment.initiated')
          await ctx.emit({ topic: output, key: event.data.debtorAccountId, event: riskAssessed(event) });
      },
      hooks: {
        // Between the PostgreSQL commit and the Kafka commit: the outputs were sent inside the
        // Kafka transaction, which now aborts; the retry must re-send the stored outputs.
        afterPgCommit: () => {
          if (failuresLeft-- > 0) throw new Error('simulated crash between the commits');
        },
      },
    });
    await consumer.start();

    const seen: AnyEvent[] = [];
    const reader = testKafka('eo-tx-reader').consumer({ groupId: uniqueName('eo-tx-reader'), readUncommitted: false });
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        seen.push(await codec.decode(output, message.value!));
      },
    });
    await waitFor('all outputs', () => seen.length >= events.length, { timeoutMs: 60_000 });
    // Let the consumer finish everything, then make sure nothing more shows up.
    await waitFor('input offsets committed in Kafka', async () => {
      const admin = testKafka('eo-tx-admin').admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchOffsets({ groupId: group, topics: [input] });
        return offsets[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0) === events.length;
      } finally {
        await admin.disconnect();
      }
    });
    await holdsFor('no output shows up twice', () => Promise.resolve(seen.length === events.length), 1500);
    await reader.disconnect();

    expect(seen).toHaveLength(events.length);
    expect(new Set(seen.map((e) => e.paymentId))).toEqual(new Set(events.map((e) => e.paymentId)));
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(events.length);
    const counts = await effectCounts(dataSource, group);
    expect(events.map((e) => counts.get(e.eventId))).toEqual(events.map(() => 1));
    const [{ stored }] = await dataSource.query<Array<{ stored: number }>>(
      `SELECT count(*)::int AS stored FROM messaging_stored_outputs WHERE group_id = $1`,
      [group],
    );
    expect(stored).toBe(events.length);
    expect(failuresLeft).toBeLessThan(0);
  });
});
