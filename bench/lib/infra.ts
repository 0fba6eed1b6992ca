// Same kafkajs as the platform: its fixes (request queue, coordinator cache, record decoder) apply
// to the baselines too. (The ledger bench's raw baseline runs kafkajs as published, in a process
// of its own: bench/ledger-raw-consume.ts.)
import '@paystream/messaging';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

/**
 * Where the benchmarks find the stack: the same variables and defaults as the services
 * (README: Configuration). The only place in bench/lib that reads the environment.
 */
export const BENCH_BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim());
export const BENCH_SERVER_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL || 'http://127.0.0.1:8081/apis/ccompat/v7';

export function benchName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export function benchKafka(clientId = 'paystream-bench'): Kafka {
  return new Kafka({
    clientId,
    brokers: BENCH_BROKERS,
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100 },
  });
}

export interface BenchTopic {
  name: string;
  partitions: number;
  delete(): Promise<void>;
}

/** A topic of the benchmark's own (replication 1 on the local broker), deleted afterwards. */
export async function createBenchTopic(prefix: string, partitions = 12, kafka = benchKafka()): Promise<BenchTopic> {
  const name = benchName(prefix);
  const admin: Admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: partitions }] });
  return {
    name,
    partitions,
    delete: async () => {
      await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/**
 * A PostgreSQL client that outlives one query. A backend that goes away (terminated, restarted)
 * makes the client emit 'error', which without a listener ends the whole bench process; with
 * this one the error is printed and the query in flight fails, so only that scenario fails.
 */
export function benchPgClient(connectionString: string, what: string): Client {
  const client = new Client({ connectionString });
  client.on('error', (err) => process.stderr.write(`[bench] ${what}: postgres connection error: ${err.message}\n`));
  return client;
}

function urlOf(database: string): string {
  const url = new URL(BENCH_SERVER_URL);
  url.pathname = '/' + database;
  return url.toString();
}

async function onServer(sql: string): Promise<void> {
  const client = new Client({ connectionString: urlOf('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A scratch database named like the tests' (`paystream_test_*`), so a leftover is recognisably disposable. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const name = benchName(`paystream_test_bench_${prefix}`).toLowerCase();
  if (!/^paystream_test_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to create database "${name}"`);
  await onServer(`CREATE DATABASE "${name}"`);
  return { name, url: urlOf(name), drop: () => onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
