// Creates what the platform needs on the servers: one database per service and the contract's
// topics (plus a DLQ per consuming group). Idempotent; run by `npm run stack:up`.
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import pg from 'pg';

const { Kafka, logLevel } = kafkajs;
const spec = JSON.parse(readFileSync(new URL('../libs/contracts/src/topics.json', import.meta.url), 'utf8'));
export const SERVICES = ['payment', 'ledger', 'audit', 'risk', 'notifications', 'analytics'];

export async function ensureDatabases(
  serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
) {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  const created = [];
  try {
    for (const service of SERVICES) {
      const name = `paystream_${service}`;
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) {
        await client.query(`CREATE DATABASE "${name}"`).catch((err) => {
          if (err.code !== '42P04') throw err; // created by a racing start: same outcome
        });
        created.push(name);
      }
    }
  } finally {
    await client.end();
  }
  return created;
}

export function topicPlan(replicationFactor, partitions) {
  const minIsr = replicationFactor >= 3 ? '2' : '1';
  const plan = [];
  for (const t of spec.topics) {
    plan.push({
      topic: t.name,
      numPartitions: partitions,
      replicationFactor,
      configEntries: Object.entries({
        ...t.config,
        'min.insync.replicas': minIsr,
        'unclean.leader.election.enable': 'false',
      }).map(([name, value]) => ({ name, value })),
    });
    for (const group of t.consumers) {
      plan.push({
        topic: `${t.name}.${group}.dlq`,
        numPartitions: 1,
        replicationFactor,
        configEntries: [
          { name: 'retention.ms', value: '-1' },
          { name: 'min.insync.replicas', value: minIsr },
        ],
      });
    }
  }
  return plan;
}

// The same TLS/SASL variables as the services (libs/platform config.ts), so topics can be created
// on a managed cluster (MSK, Confluent Cloud, Aiven) too.
export function securityFromEnv(env = process.env) {
  const ssl = ['true', '1', 'yes'].includes(env.KAFKA_SSL ?? '');
  const mechanism = env.KAFKA_SASL_MECHANISM || undefined;
  const sasl = mechanism
    ? { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' }
    : undefined;
  return { ssl, sasl };
}

export async function ensureTopics(brokers, replicationFactor = 1, partitions = spec.partitions) {
  const admin = new Kafka({
    clientId: 'paystream-stack-init',
    brokers,
    logLevel: logLevel.WARN,
    ...securityFromEnv(),
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicPlan(replicationFactor, partitions).filter((t) => !existing.has(t.topic));
    if (missing.length) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
  const rf = Number(process.env.TOPIC_REPLICATION_FACTOR || 1);
  const dbs = await ensureDatabases().catch((err) => {
    console.error(`[stack] PostgreSQL at DATABASE_URL is not reachable (${err.message}); start it first`);
    process.exit(1);
  });
  console.log(`[stack] databases: ${dbs.length ? 'created ' + dbs.join(', ') : 'all present'}`);
  const topics = await ensureTopics(brokers, rf);
  console.log(
    `[stack] topics: ${topics.length ? 'created ' + topics.join(', ') : 'all present'} (brokers ${brokers.join(',')})`,
  );
}
