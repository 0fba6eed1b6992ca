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
  holdsFor,
  paymentInitiated,
  recordEffect,
} from '../../../../test/messaging/messaging-fixtures';
import { ExactlyOnceConsumer } from '../consumer/exactly-once-consumer';
import { SchemaRegistryCodec } from '../serde';
import { Outbox } from './outbox';
import { OutboxRelay, OutboxRelayOptions } from './outbox-relay';

const kafkaConfig = { clientId: 'messaging-int', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING };

interface Seen {
  eventId: string;
  partition: number;
  offset: number;
}

describe(OutboxRelay.name, () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let codec: SchemaRegistryCodec;
  let outbox: Outbox;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('relay'));
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    outbox = new Outbox(codec);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await dataSource?.destroy();
    await db?.drop();
  });

  async function newTopic(prefix: string, partitions = 1): Promise<string> {
    const topic = uniqueName(prefix);
    cleanups.push(await createTopics([{ name: topic, partitions }]));
    return topic;
  }

  async function startRelay(hooks?: OutboxRelayOptions['hooks'], lingerMs?: number): Promise<OutboxRelay> {
    const relay = new OutboxRelay({
      dataSource,
      codec,
      kafkaConfig,
      pollIntervalMs: 500,
      standbyIntervalMs: 200,
      hooks,
      lingerMs,
    });
    cleanups.push(() => relay.stop());
    await relay.start();
    await waitFor('relay leadership', () => relay.isLeader);
    return relay;
  }

  async function startConsumer(topic: string, group: string): Promise<ExactlyOnceConsumer> {
    const consumer = new ExactlyOnceConsumer({
      dataSource,
      codec,
      kafkaConfig,
      group,
      topics: [topic],
      handler: (event, ctx) =>
        recordEffect(ctx.manager, group, event.eventId, ctx.getMessage().key?.toString() ?? '', ctx.origin),
    });
    cleanups.push(() => deleteTopics([dlqTopic(topic, group)]));
    cleanups.push(() => consumer.stop());
    await consumer.start();
    return consumer;
  }

  async function readTopic(topic: string, expected: number): Promise<Seen[]> {
    const seen: Seen[] = [];
    const consumer = testKafka('relay-reader').consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message, partition }) => {
          seen.push({ eventId: String(message.headers?.eventId), partition, offset: Number(message.offset) });
          return Promise.resolve();
        },
      });
      await waitFor(`${expected} records on ${topic}`, () => seen.length >= expected, { timeoutMs: 30_000 });
    } finally {
      await consumer.disconnect();
    }
    return seen.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  async function isSent(eventId: string): Promise<boolean> {
    const rows = await dataSource.query<Array<{ sent: boolean }>>(
      `SELECT sent_at IS NOT NULL AS sent FROM messaging_outbox WHERE event_id = $1`,
      [eventId],
    );
    return rows[0]?.sent ?? false;
  }

  let relay: OutboxRelay;

  it('publishes appended events once each, consumed exactly once per eventId in append order per key, and marks them sent', async () => {
    const topic = await newTopic('relay_rt', 3);
    const group = uniqueName('relay_rt_group');
    const events = Array.from({ length: 40 }, (_, i) => paymentInitiated(`acct-${i % 5}`, i));
    for (let i = 0; i < events.length; i += 10) {
      await dataSource.transaction((m) =>
        outbox.append(
          m,
          events.slice(i, i + 10).map((event) => ({ topic, key: event.data.debtorAccountId, event })),
        ),
      );
    }
    relay = await startRelay();
    await startConsumer(topic, group);

    await waitFor('all events applied', async () => (await effectCounts(dataSource, group)).size === events.length);
    const counts = await effectCounts(dataSource, group);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(events.map((e) => e.eventId)));
    const [{ pending }] = await dataSource.query<Array<{ pending: number }>>(
      `SELECT count(*)::int AS pending FROM messaging_outbox WHERE sent_at IS NULL`,
    );
    expect(pending).toBe(0);
    const [{ total }] = await dataSource.query<Array<{ total: number }>>(
      `SELECT sum(next_offset)::int AS total FROM messaging_consumer_offsets WHERE group_id = $1`,
      [group],
    );
    expect(total).toBe(events.length);
    const applied = await dataSource.query<Array<{ event_id: string }>>(
      `SELECT event_id FROM test_effects WHERE group_id = $1 ORDER BY id`,
      [group],
    );
    for (let k = 0; k < 5; k++) {
      const ofKey = events.filter((e) => e.data.debtorAccountId === `acct-${k}`).map((e) => e.eventId);
      expect(applied.map((r) => r.event_id).filter((id) => ofKey.includes(id))).toEqual(ofKey);
    }
  });

  it('never publishes past a lower id whose transaction is still open, and publishes both in id order once it commits', async () => {
    const topic = await newTopic('relay_gap');
    const first = paymentInitiated('acct-gap', 1);
    const second = paymentInitiated('acct-gap', 2);
    const slow = dataSource.createQueryRunner();
    await slow.connect();
    cleanups.push(() => slow.release());
    await slow.startTransaction();
    await outbox.append(slow.manager, [{ topic, key: 'acct-gap', event: first }]);
    await dataSource.transaction((m) => outbox.append(m, [{ topic, key: 'acct-gap', event: second }]));

    // The second row is committed and the relay is woken by its NOTIFY, but the first (lower id)
    // is still in flight: the relay must hold the second back.
    await holdsFor('the higher id stays unpublished', async () => !(await isSent(second.eventId)), 1500);
    await slow.commitTransaction();

    const seen = await readTopic(topic, 2);
    expect(seen.map((s) => s.eventId)).toEqual([first.eventId, second.eventId]);
    await waitFor('both marked sent', async () => (await isSent(first.eventId)) && (await isSent(second.eventId)));
  });

  it('after a failure between publish and mark, publishes the rows again with the same eventIds and the consumer applies each once', async () => {
    await relay.stop();
    const topic = await newTopic('relay_crash');
    const group = uniqueName('relay_crash_group');
    let failuresLeft = 1;
    relay = await startRelay({
      afterPublish: () => {
        if (failuresLeft-- > 0) throw new Error('simulated crash between publish and mark');
      },
    });
    const events = Array.from({ length: 10 }, (_, i) => paymentInitiated('acct-crash', i));
    await dataSource.transaction((m) =>
      outbox.append(
        m,
        events.map((event) => ({ topic, key: 'acct-crash', event })),
      ),
    );
    const seen = await readTopic(topic, 20);
    expect(seen).toHaveLength(20);
    expect(seen.map((s) => s.eventId)).toEqual([...events, ...events].map((e) => e.eventId));

    await startConsumer(topic, group);
    await waitFor('all events applied', async () => (await effectCounts(dataSource, group)).size === events.length);
    const [{ offsets }] = await dataSource.query<Array<{ offsets: number }>>(
      `SELECT next_offset::int AS offsets FROM messaging_consumer_offsets WHERE group_id = $1`,
      [group],
    );
    expect(offsets).toBe(20);
    const counts = await effectCounts(dataSource, group);
    expect(events.map((e) => counts.get(e.eventId))).toEqual(events.map(() => 1));
  });

  it('with lingerMs, commits that arrive within the floor of one round are published in one round', async () => {
    await relay.stop();
    const topic = await newTopic('relay_linger');
    relay = await startRelay(undefined, 3000);
    const first = paymentInitiated('acct-linger', 0);
    await dataSource.transaction((m) => outbox.append(m, [{ topic, key: 'acct-linger', event: first }]));
    await waitFor('the first row sent', () => isSent(first.eventId));
    // Five commits, each waking the relay, all inside the 3 s floor of the round that sent the first.
    const later = Array.from({ length: 5 }, (_, i) => paymentInitiated('acct-linger', i + 1));
    for (const event of later) {
      await dataSource.transaction((m) => outbox.append(m, [{ topic, key: 'acct-linger', event }]));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitFor('the later rows sent', async () =>
      (await Promise.all(later.map((e) => isSent(e.eventId)))).every(Boolean),
    );

    // One round marks its rows in one UPDATE: one sent_at for all five. Without the floor each
    // commit is usually a round of its own.
    const [{ rounds }] = await dataSource.query<Array<{ rounds: number }>>(
      `SELECT count(DISTINCT sent_at)::int AS rounds FROM messaging_outbox WHERE event_id = ANY($1::text[])`,
      [later.map((e) => e.eventId)],
    );
    expect(rounds).toBe(1);
    const seen = await readTopic(topic, 6);
    expect(seen.map((x) => x.eventId)).toEqual([first, ...later].map((e) => e.eventId));
  });
});
