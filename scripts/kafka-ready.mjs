// Exits 0 when the broker at argv[2] answers a metadata request (used by infra/stack.sh).
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const admin = new Kafka({
  clientId: 'paystream-stack-probe',
  brokers: [process.argv[2] ?? '127.0.0.1:9092'],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2000,
  retry: { retries: 0 },
}).admin();
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  await admin.disconnect();
  process.exit(cluster.brokers.length > 0 ? 0 : 1);
} catch {
  process.exit(1);
}
