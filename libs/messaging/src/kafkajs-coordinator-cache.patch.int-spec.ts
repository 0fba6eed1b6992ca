import { createTopics, testKafka, TEST_BROKERS, uniqueName } from '@paystream/testing';
import { patchKafkajsCoordinatorCache } from './kafkajs-coordinator-cache.patch';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Connection = require('kafkajs/src/network/connection') as {
  prototype: { send(this: unknown, request: { request: { apiName: string } }): Promise<unknown> };
};

/** Counts the requests every kafkajs connection of this process sends, by API name, while `run` runs. */
async function countRequests(run: () => Promise<void>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const original = Connection.prototype.send;
  Connection.prototype.send = function (this: unknown, request) {
    const name = request.request.apiName;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return original.call(this, request);
  };
  try {
    await run();
  } finally {
    Connection.prototype.send = original;
  }
  return counts;
}

describe('kafkajs coordinator cache patch (real broker)', () => {
  it('applies to the kafkajs in node_modules', () => {
    expect(patchKafkajsCoordinatorCache()).toBe(true);
  });

  it('looks a coordinator up once for many transactions with offsets, and they still commit', async () => {
    const topic = uniqueName('coordinator_cache');
    const group = uniqueName('coordinator_cache_group');
    const dropTopics = await createTopics([{ name: topic, partitions: 1 }]);
    const kafka = testKafka('paystream-test-coordinator-cache', TEST_BROKERS);
    const producer = kafka.producer({
      transactionalId: uniqueName('coordinator_cache_tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const admin = kafka.admin();
    try {
      await producer.connect();
      await admin.connect();
      const transactions = 5;
      const counts = await countRequests(async () => {
        for (let i = 0; i < transactions; i++) {
          const tx = await producer.transaction();
          await tx.send({ topic, messages: [{ key: 'k', value: `v${i}` }] });
          await tx.sendOffsets({
            consumerGroupId: group,
            topics: [{ topic, partitions: [{ partition: 0, offset: String(i + 1) }] }],
          });
          await tx.commit();
        }
      });
      expect(counts.get('EndTxn')).toBe(transactions);
      // kafkajs alone: four lookups per transaction (AddPartitionsToTxn, AddOffsetsToTxn,
      // TxnOffsetCommit, EndTxn), 20 here. Cached: the transaction and the group coordinator once
      // each, again only if a second passed (a slow broker).
      expect(counts.get('GroupCoordinator') ?? 0).toBeLessThanOrEqual(4);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(committed.partitions[0].offset).toBe(String(transactions));
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await dropTopics();
    }
  });
});
