import { dlqTopic } from '@paystream/contracts';
import { Metrics } from '@paystream/observability';
import { TEST_BROKERS, createTopics, testKafka, uniqueName, waitFor } from '@paystream/testing';
import { logLevel } from 'kafkajs';
import {
  consumerTestBed,
  dlqHeaders,
  effectCounts,
  paymentInitiated,
  recordEffect,
  riskAssessed,
} from '../../../../test/messaging/messaging-fixtures';
import { SchemaRegistryCodec } from '../serde';
import { ExactlyOnceConsumer, ExactlyOnceConsumerOptions } from './exactly-once-consumer';

/**
 * What a chunk writes besides the handlers' effects: dedupe rows only for applied events (types
 * outside `acceptTypes` are passed over without one; copies of applied events are found through
 * the primary key) and the offset past every record.
 */
describe('ExactlyOnceConsumer dedupe rows and skipped records', () => {
  const bed = consumerTestBed('eo_chunk_rows');

  /** A one-partition topic, its DLQ and a started consumer whose handler records one effect per event. */
  async function setUp(
    prefix: string,
    options: Pick<ExactlyOnceConsumerOptions, 'acceptTypes' | 'dedupe'> = {},
  ): Promise<{ topic: string; group: string; metrics: Metrics; storedOffset: () => Promise<string | undefined> }> {
    const topic = uniqueName(prefix);
    const group = uniqueName(`${prefix}_group`);
    bed.cleanups.push(
      await createTopics([
        { name: topic, partitions: 1 },
        { name: dlqTopic(topic, group), partitions: 1 },
      ]),
    );
    const metrics = new Metrics(`${prefix}-test`);
    const consumer = new ExactlyOnceConsumer({
      dataSource: bed.dataSource,
      codec: bed.codec,
      kafkaConfig: { clientId: prefix, brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
      group,
      topics: [topic],
      maxBatchSize: 4,
      metrics,
      ...options,
      handler: (event, ctx) => recordEffect(ctx.manager, group, event.eventId, event.type, ctx.origin),
    });
    bed.cleanups.push(() => consumer.stop());
    await consumer.start();
    const storedOffset = async () =>
      (
        await bed.dataSource.query<Array<{ next: string }>>(
          `SELECT next_offset::text AS next FROM messaging_consumer_offsets WHERE group_id = $1`,
          [group],
        )
      )[0]?.next;
    return { topic, group, metrics, storedOffset };
  }

  async function produce(topic: string, messages: Array<{ value: Buffer; headers?: Record<string, string> }>) {
    const producer = testKafka(`${topic}-producer`).producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: 'acct', ...m })) });
    await producer.disconnect();
  }

  async function counter(metrics: Metrics, name: string, group: string): Promise<number | undefined> {
    const line = (await metrics.text())
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && l.includes(`group="${group}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it('passes over other types by their header without decoding or a dedupe row, and moves the offset past them', async () => {
    const { topic, group, metrics, storedOffset } = await setUp('eo_accept', { acceptTypes: ['payment.initiated'] });
    const initiated = Array.from({ length: 5 }, (_, i) => paymentInitiated('acct', i));
    const value = (e: Parameters<SchemaRegistryCodec['encode']>[1]) => bed.codec.encode(topic, e);
    // Offsets 0..9 in chunks of 4: accepted with header, other type with header, a body no bed.codec
    // can read whose header names another type (skipped undecoded, so never dead-lettered),
    // records without a type header (decoded: the accepted one applied, the other skipped).
    await produce(topic, [
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
    ]);
    await waitFor('the stored offset past every record', async () => (await storedOffset()) === '10');

    const counts = await effectCounts(bed.dataSource, group);
    expect(new Map([...counts])).toEqual(new Map(initiated.map((e) => [e.eventId, 1])));
    const types = await bed.dataSource.query<Array<{ key: string }>>(
      `SELECT DISTINCT key FROM test_effects WHERE group_id = $1`,
      [group],
    );
    expect(types).toEqual([{ key: 'payment.initiated' }]);
    const dedupe = await bed.dataSource.query<Array<{ event_id: string }>>(
      `SELECT p.event_id::text AS event_id FROM messaging_processed_events p
         JOIN messaging_groups g ON g.group_key = p.group_key WHERE g.name = $1 ORDER BY p.event_id`,
      [group],
    );
    expect(dedupe.map((r) => r.event_id)).toEqual(initiated.map((e) => e.eventId).sort());
    const admin = testKafka('eo-accept-admin').admin();
    await admin.connect();
    const dlqEnd = await admin.fetchTopicOffsets(dlqTopic(topic, group)).finally(() => admin.disconnect());
    expect(dlqEnd.map((p) => p.high)).toEqual(['0']);
    expect(await counter(metrics, 'messaging_consumer_skipped_total', group)).toBe(5);
    expect(await counter(metrics, 'messaging_consumer_applied_total', group)).toBe(5);
  });

  it('dead-letters records whose eventId is not a UUID, applies the others, and takes an upper-case copy of an applied UUID for a duplicate', async () => {
    const { topic, group, metrics, storedOffset } = await setUp('eo_event_ids');
    const good = Array.from({ length: 3 }, (_, i) => paymentInitiated('acct', i));
    const notUuid = { ...paymentInitiated('acct', 7), eventId: 'evt-7' };
    const upper = { ...good[1], eventId: good[1].eventId.toUpperCase() };
    const value = (e: Parameters<SchemaRegistryCodec['encode']>[1]) => bed.codec.encode(topic, e);
    // Offsets 0..5 in chunks of 4: the dedupe key is (group, UUID), so 'evt-7' could never get a
    // dedupe row (SCHEMA_INVALID → DLQ), and the same UUID spelled in upper case is the same event.
    await produce(topic, [
      { value: await value(good[0]), headers: { eventId: good[0].eventId } },
      { value: await value(notUuid), headers: { eventId: notUuid.eventId } },
      { value: await value(good[1]), headers: { eventId: good[1].eventId } },
      { value: await value(upper), headers: { eventId: upper.eventId } },
      { value: await value(good[2]), headers: { eventId: good[2].eventId } },
      { value: await value(upper), headers: { eventId: upper.eventId } },
    ]);
    await waitFor('the stored offset past every record', async () => (await storedOffset()) === '6');

    const counts = await effectCounts(bed.dataSource, group);
    expect(new Map([...counts])).toEqual(new Map(good.map((e) => [e.eventId, 1])));
    expect(await counter(metrics, 'messaging_consumer_applied_total', group)).toBe(3);
    expect(await counter(metrics, 'messaging_consumer_duplicates_total', group)).toBe(2);
    expect(await counter(metrics, 'messaging_consumer_dlq_total', group)).toBe(1);
    const dlq = await dlqHeaders(topic, group, 1);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({
      'dlq.offset': '1',
      'dlq.errorCode': 'SCHEMA_INVALID',
      'dlq.errorMessage': 'eventId is not a UUID: evt-7',
      'dlq.eventId': 'evt-7',
    });
  });

  it('applies new events and skips copies of applied ones in a chunk whose plain dedupe insert hits the primary key', async () => {
    const { topic, group, metrics, storedOffset } = await setUp('eo_redelivered');
    const first = Array.from({ length: 5 }, (_, i) => paymentInitiated('acct', i));
    const later = Array.from({ length: 3 }, (_, i) => paymentInitiated('acct', 10 + i));
    const send = async (events: typeof first) =>
      produce(topic, await Promise.all(events.map(async (e) => ({ value: await bed.codec.encode(topic, e) }))));
    await send(first);
    await waitFor('the first five applied', async () => (await storedOffset()) === '5');

    // What a relay that crashed between publish and mark does: the same events (same eventIds)
    // once more, at new offsets, here mixed with new ones in the same chunks.
    await send([first[3], later[0], first[0], later[1], first[4], later[2]]);
    await waitFor('the second batch past', async () => (await storedOffset()) === '11');

    const counts = await effectCounts(bed.dataSource, group);
    expect(new Map([...counts])).toEqual(new Map([...first, ...later].map((e) => [e.eventId, 1])));
    expect(await counter(metrics, 'messaging_consumer_duplicates_total', group)).toBe(3);
    expect(await counter(metrics, 'messaging_consumer_applied_total', group)).toBe(8);
    expect(await counter(metrics, 'messaging_consumer_dlq_total', group)).toBeUndefined();
  });

  it('with dedupe off writes no dedupe rows, hands a re-sent copy to the handler again and still stores the offset', async () => {
    const { topic, group, metrics, storedOffset } = await setUp('eo_nodedupe', { dedupe: false });
    const events = Array.from({ length: 3 }, (_, i) => paymentInitiated('acct', i));
    const send = async (list: typeof events) =>
      produce(topic, await Promise.all(list.map(async (e) => ({ value: await bed.codec.encode(topic, e) }))));
    await send(events);
    await waitFor('the three applied', async () => (await storedOffset()) === '3');
    // A re-sent copy (same eventId, new offset): the handler's own idempotence must absorb it.
    await send([events[1]]);
    await waitFor('the copy past', async () => (await storedOffset()) === '4');

    const counts = await effectCounts(bed.dataSource, group);
    expect(new Map([...counts])).toEqual(new Map(events.map((e, i) => [e.eventId, i === 1 ? 2 : 1])));
    const [{ n }] = await bed.dataSource.query<Array<{ n: string }>>(
      `SELECT count(*)::text AS n FROM messaging_processed_events p
         JOIN messaging_groups g ON g.group_key = p.group_key WHERE g.name = $1`,
      [group],
    );
    expect(n).toBe('0');
    expect(await counter(metrics, 'messaging_consumer_applied_total', group)).toBe(4);
    expect(await counter(metrics, 'messaging_consumer_duplicates_total', group)).toBe(0);
  });
});
