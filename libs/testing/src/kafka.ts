import { Admin, Kafka, logLevel } from 'kafkajs';

export const TEST_BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
export const TEST_REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL || 'http://127.0.0.1:8081/apis/ccompat/v7';

export function testKafka(clientId = 'paystream-test', brokers = TEST_BROKERS): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

/** Creates topics (own names per test, STYLE.md) and returns a function deleting them again. */
export async function createTopics(
  topics: { name: string; partitions?: number; replicationFactor?: number; config?: Record<string, string> }[],
  brokers = TEST_BROKERS,
): Promise<() => Promise<void>> {
  const admin: Admin = testKafka('paystream-test-admin', brokers).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions ?? 1,
      replicationFactor: t.replicationFactor ?? 1,
      configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
  return async () => {
    await admin.deleteTopics({ topics: topics.map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
  };
}
