import { dlqTopic } from '@paystream/contracts';
import { Metrics } from '@paystream/observability';
import { TEST_BROKERS, createTopics, testKafka, uniqueName, waitFor } from '@paystream/testing';
import { logLevel } from 'kafkajs';
import { consumerTestBed, effectCounts, paymentInitiated } from '../../../../test/messaging/messaging-fixtures';
import { PermanentError } from '../ports';
import { ExactlyOnceConsumer, ExactlyOnceConsumerOptions } from './exactly-once-consumer';

const PARTITIONS = 6;

/**
 * Database mode combines the chunks of partitions that are ready together into one PostgreSQL
 * transaction; a failure in it hands every chunk back to run alone. Each handler records the id
 * of the transaction it ran in (test_effects.key), so the tests see which chunks shared one.
 */
describe('ExactlyOnceConsumer combined transactions (real broker and PostgreSQL)', () => {
  const bed = consumerTestBed('eo_combined');

  async function topicWithEvents(prefix: string, perPartition: number) {
    const topic = uniqueName(prefix);
    const group = uniqueName(`${prefix}_group`);
    bed.cleanups.push(
      await createTopics([
        { name: topic, partitions: PARTITIONS },
        { name: dlqTopic(topic, group), partitions: 1 },
      ]),
    );
    const events = Array.from({ length: PARTITIONS * perPartition }, (_, i) =>
      paymentInitiated(`acct-${i % PARTITIONS}`, i),
    );
    const producer = testKafka(`${prefix}-producer`).producer({ idempotent: true });
    await producer.connect();
    // Explicit partitions: every partition holds records before the consumer's first fetch.
    await producer.send({
      topic,
      acks: -1,
      messages: await Promise.all(
        events.map(async (e, i) => ({
          key: e.data.debtorAccountId,
          partition: i % PARTITIONS,
          value: await bed.codec.encode(topic, e),
        })),
      ),
    });
    await producer.disconnect();
    return { topic, group, events };
  }

  async function start(
    topic: string,
    group: string,
    poison: Set<string>,
    options: Partial<ExactlyOnceConsumerOptions> = {},
  ): Promise<Metrics> {
    const metrics = new Metrics(`${group}-test`);
    const consumer = new ExactlyOnceConsumer({
      dataSource: bed.dataSource,
      codec: bed.codec,
      kafkaConfig: { clientId: group, brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
      group,
      topics: [topic],
      metrics,
      handler: async (event, ctx) => {
        if (poison.has(event.eventId)) throw new PermanentError('TEST_INVARIANT', 'this event breaks an invariant');
        await ctx.manager.query(
          `INSERT INTO test_effects (group_id, event_id, key, topic, partition, "offset", pid)
           VALUES ($1, $2, pg_current_xact_id()::text, $3, $4, $5, $6)`,
          [group, event.eventId, ctx.origin.topic, ctx.origin.partition, ctx.origin.offset, process.pid],
        );
      },
      ...options,
    });
    bed.cleanups.push(() => consumer.stop());
    await consumer.start();
    return metrics;
  }

  const storedOffsets = async (group: string) =>
    (
      await bed.dataSource.query<Array<{ partition: number; next: string }>>(
        `SELECT partition, next_offset::text AS next FROM messaging_consumer_offsets WHERE group_id = $1 ORDER BY partition`,
        [group],
      )
    ).map((r) => `${r.partition}:${r.next}`);

  /** Partitions per transaction id, from the effect rows. */
  async function partitionsPerTransaction(group: string): Promise<number[]> {
    const rows = await bed.dataSource.query<Array<{ n: number }>>(
      `SELECT count(DISTINCT partition)::int AS n FROM test_effects WHERE group_id = $1 GROUP BY key`,
      [group],
    );
    return rows.map((r) => r.n);
  }

  it('applies the chunks of several partitions in one transaction, each event once, every offset stored', async () => {
    const { topic, group, events } = await topicWithEvents('eo_combined_ok', 5);
    await start(topic, group, new Set());
    const all = Array.from({ length: PARTITIONS }, (_, p) => `${p}:5`);
    await waitFor('every partition applied', async () => (await storedOffsets(group)).join() === all.join());

    expect(await effectCounts(bed.dataSource, group)).toEqual(new Map(events.map((e) => [e.eventId, 1])));
    const shared = await partitionsPerTransaction(group);
    expect(Math.max(...shared)).toBeGreaterThan(1);
    expect(shared.reduce((a, b) => a + b, 0)).toBe(PARTITIONS);
  });

  it('runs each chunk alone after a handler fails in a combined transaction: the poison goes to the DLQ, the rest applies once', async () => {
    const { topic, group, events } = await topicWithEvents('eo_combined_poison', 4);
    const poisoned = events[PARTITIONS + 2]; // partition 2, second record
    const metrics = await start(topic, group, new Set([poisoned.eventId]));
    const all = Array.from({ length: PARTITIONS }, (_, p) => `${p}:4`);
    await waitFor(
      'every partition past its last record',
      async () => (await storedOffsets(group)).join() === all.join(),
    );

    const expected = new Map(events.filter((e) => e !== poisoned).map((e) => [e.eventId, 1]));
    expect(await effectCounts(bed.dataSource, group)).toEqual(expected);
    const admin = testKafka('eo-combined-admin').admin();
    await admin.connect();
    const dlqEnd = await admin.fetchTopicOffsets(dlqTopic(topic, group)).finally(() => admin.disconnect());
    expect(dlqEnd.map((p) => p.high)).toEqual(['1']);
    const dlq = (await metrics.text()).split('\n').find((l) => l.startsWith('messaging_consumer_dlq_total{'));
    expect(dlq?.endsWith(' 1')).toBe(true);
  });

  it('skips events applied before: the combined statement conflicts, the chunks run alone, the rest applies once', async () => {
    const { topic, group, events } = await topicWithEvents('eo_combined_dup', 4);
    // As if an earlier owner had applied these two (partitions 1 and 4) and a relay re-sent them.
    const applied = [events[PARTITIONS + 1], events[2 * PARTITIONS + 4]];
    await bed.dataSource.query(`INSERT INTO messaging_groups (name) VALUES ($1)`, [group]);
    await bed.dataSource.query(
      `INSERT INTO messaging_processed_events (group_key, event_id)
       SELECT g.group_key, unnest($2::uuid[]) FROM messaging_groups g WHERE g.name = $1`,
      [group, applied.map((e) => e.eventId)],
    );
    const metrics = await start(topic, group, new Set());
    const all = Array.from({ length: PARTITIONS }, (_, p) => `${p}:4`);
    await waitFor('every partition applied', async () => (await storedOffsets(group)).join() === all.join());

    const expected = new Map(events.filter((e) => !applied.includes(e)).map((e) => [e.eventId, 1]));
    expect(await effectCounts(bed.dataSource, group)).toEqual(expected);
    const duplicates = (await metrics.text())
      .split('\n')
      .filter((l) => l.startsWith('messaging_consumer_duplicates_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(duplicates).toBe(2);
  });

  it('with lingerMs, records that arrive during the cycle floor are fetched and applied together', async () => {
    const { topic, group, events } = await topicWithEvents('eo_combined_linger', 1);
    await start(topic, group, new Set(), { lingerMs: 3000 });
    await waitFor('the first records applied', async () => (await storedOffsets(group)).length === PARTITIONS);
    // Five more, one produce request each, well inside the 3 s floor the first cycle started.
    const later = Array.from({ length: 5 }, (_, i) => paymentInitiated('acct-0', 100 + i));
    const producer = testKafka('eo-combined-linger-producer').producer({ idempotent: true });
    await producer.connect();
    for (const e of later) {
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: 'acct-0', partition: 0, value: await bed.codec.encode(topic, e) }],
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await producer.disconnect();
    await waitFor('the later records applied', async () => (await storedOffsets(group))[0] === '0:6');

    expect(await effectCounts(bed.dataSource, group)).toEqual(
      new Map([...events, ...later].map((e) => [e.eventId, 1])),
    );
    const transactions = await bed.dataSource.query<Array<{ n: number }>>(
      `SELECT count(DISTINCT key)::int AS n FROM test_effects WHERE group_id = $1 AND event_id = ANY($2::text[])`,
      [group, later.map((e) => e.eventId)],
    );
    // Without the floor each record is usually a fetch and a transaction of its own.
    expect(transactions[0].n).toBe(1);
  });

  it('shows each handler every event of its transaction (batchEvents), in order', async () => {
    const { topic, group, events } = await topicWithEvents('eo_combined_ahead', 3);
    const seen = new Map<string, { batch: string[]; applied: string[] }>();
    await start(topic, group, new Set(), {
      handler: async (event, ctx) => {
        const [{ xact }] = await ctx.manager.query<Array<{ xact: string }>>(
          `SELECT pg_current_xact_id()::text AS xact`,
        );
        const entry = seen.get(xact) ?? { batch: ctx.batchEvents().map((e) => e.eventId), applied: [] };
        expect(ctx.batchEvents().map((e) => e.eventId)).toEqual(entry.batch);
        entry.applied.push(event.eventId);
        seen.set(xact, entry);
      },
    });
    const all = Array.from({ length: PARTITIONS }, (_, p) => `${p}:3`);
    await waitFor('every partition applied', async () => (await storedOffsets(group)).join() === all.join());

    const committed = [...seen.values()].filter((t) => t.applied.length > 0);
    for (const t of committed) expect(t.applied).toEqual(t.batch);
    expect(new Set(committed.flatMap((t) => t.applied))).toEqual(new Set(events.map((e) => e.eventId)));
  });

  it('with pipelineFetches, applies every event once across many small fetches and stores every offset', async () => {
    const { topic, group, events } = await topicWithEvents('eo_combined_pipe', 40);
    // 1 KiB fetches: a handful of records each, so kafkajs fetches ahead of many queued batches.
    await start(topic, group, new Set(), { pipelineFetches: true, maxBytesPerPartition: 1024, dedupe: false });
    const all = Array.from({ length: PARTITIONS }, (_, p) => `${p}:40`);
    await waitFor('every partition applied', async () => (await storedOffsets(group)).join() === all.join());

    expect(await effectCounts(bed.dataSource, group)).toEqual(new Map(events.map((e) => [e.eventId, 1])));
    // Each partition's records in offset order.
    const rows = await bed.dataSource.query<Array<{ partition: number; offsets: string[] }>>(
      `SELECT partition, array_agg("offset" ORDER BY id) AS offsets FROM test_effects WHERE group_id = $1 GROUP BY partition`,
      [group],
    );
    for (const r of rows) expect(r.offsets.map(Number)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('with combinePartitions false, every transaction holds one partition', async () => {
    const { topic, group, events } = await topicWithEvents('eo_combined_off', 3);
    await start(topic, group, new Set(), { combinePartitions: false });
    const all = Array.from({ length: PARTITIONS }, (_, p) => `${p}:3`);
    await waitFor('every partition applied', async () => (await storedOffsets(group)).join() === all.join());

    expect(await effectCounts(bed.dataSource, group)).toEqual(new Map(events.map((e) => [e.eventId, 1])));
    expect(new Set(await partitionsPerTransaction(group))).toEqual(new Set([1]));
  });
});
