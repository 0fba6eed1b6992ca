import { dlqTopic } from '@paystream/contracts';
import type { AnyEvent } from '@paystream/contracts';
import { TEST_BROKERS, createTopics, testKafka, uniqueName, waitFor } from '@paystream/testing';
import { logLevel } from 'kafkajs';
import {
  consumerTestBed,
  deleteTopics,
  effectCounts,
  paymentInitiated,
  producePayments,
  recordEffect,
  riskAssessed,
} from '../../../../test/messaging/messaging-fixtures';
import { ConsumerMode, ExactlyOnceConsumer } from './exactly-once-consumer';

/**
 * A session far longer than the waits below: a member that stopped without leaving its group
 * would keep its partitions (and hold up the next member's join) until it ran out.
 */
const SESSION_TIMEOUT_MS = 120_000;

describe('ExactlyOnceConsumer.stop', () => {
  const bed = consumerTestBed('eo_stop');

  it.each<ConsumerMode>(['database', 'kafka-transaction'])(
    '%s mode: a stop under load ends its chunks in flight, leaves the group at once, and the next member applies every event exactly once',
    async (mode) => {
      const input = uniqueName(`eo_stop_in_${mode}`);
      const output = uniqueName(`eo_stop_out_${mode}`);
      const group = uniqueName(`eo_stop_group_${mode}`);
      bed.cleanups.push(
        await createTopics([
          { name: input, partitions: 4 },
          { name: output, partitions: 4 },
        ]),
      );
      bed.cleanups.push(() => deleteTopics([dlqTopic(input, group)]));
      const { dataSource, codec } = bed;

      const events = Array.from({ length: 240 }, (_, i) => paymentInitiated(`acct-${i % 16}`, i));
      await producePayments(input, events, codec);

      const member = (clientId: string) =>
        new ExactlyOnceConsumer({
          dataSource,
          codec,
          kafkaConfig: { clientId, brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
          group,
          topics: [input],
          mode,
          maxBatchSize: 5,
          partitionsConsumedConcurrently: 4,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          handler: async (event, ctx) => {
            // Slow enough that the stop lands while chunks of every partition are in flight.
            await new Promise((r) => setTimeout(r, 10));
            await recordEffect(ctx.manager, group, event.eventId, '', ctx.origin);
            if (event.type === 'payment.initiated')
              await ctx.emit({ topic: output, key: event.data.debtorAccountId, event: riskAssessed(event) });
          },
        });

      const first = member('eo-stop-first');
      await first.start();
      await waitFor(
        'the first member to be part-way through',
        async () => (await effectCounts(dataSource, group)).size >= 40,
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      await first.stop();
      const appliedAtStop = (await effectCounts(dataSource, group)).size;
      expect(appliedAtStop).toBeLessThan(events.length);

      // Left, not merely gone quiet: the coordinator no longer lists it.
      const admin = testKafka('eo-stop-admin').admin();
      await admin.connect();
      const { groups } = await admin.describeGroups([group]).finally(() => admin.disconnect());
      expect(groups[0].members.filter((m) => m.clientId.startsWith('eo-stop-first'))).toEqual([]);

      const second = member('eo-stop-second');
      bed.cleanups.push(() => second.stop());
      await second.start();
      await waitFor(
        'the second member to apply the rest',
        async () => (await effectCounts(dataSource, group)).size >= events.length,
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      await second.stop();

      const counts = await effectCounts(dataSource, group);
      expect(events.map((e) => counts.get(e.eventId))).toEqual(events.map(() => 1));
      if (mode === 'kafka-transaction') {
        // Every output visible once to a read_committed reader: the stopped member's open
        // transactions were committed or aborted, none left to be repeated. Both members have
        // stopped, so every transaction has ended; a plain record after them on each partition
        // tells the reader it has read everything.
        const marker = testKafka('eo-stop-marker').producer({ idempotent: true });
        await marker.connect();
        await marker.send({
          topic: output,
          acks: -1,
          messages: [0, 1, 2, 3].map((partition) => ({ partition, value: 'end', headers: { marker: 'end' } })),
        });
        await marker.disconnect();
        const seen: AnyEvent[] = [];
        const ended = new Set<number>();
        const reader = testKafka('eo-stop-reader').consumer({
          groupId: uniqueName('eo-stop-reader'),
          readUncommitted: false,
          maxWaitTimeInMs: 100,
        });
        await reader.connect();
        await reader.subscribe({ topic: output, fromBeginning: true });
        await reader.run({
          eachMessage: async ({ partition, message }) => {
            if (message.headers?.marker) ended.add(partition);
            else seen.push(await codec.decode(output, message.value!));
          },
        });
        await waitFor('the reader to reach every end marker', () => Promise.resolve(ended.size === 4), {
          timeoutMs: 60_000,
          intervalMs: 50,
        });
        await reader.disconnect();
        expect(seen).toHaveLength(events.length);
        expect(new Set(seen.map((e) => e.paymentId))).toEqual(new Set(events.map((e) => e.paymentId)));
      }
    },
    180_000,
  );
});
