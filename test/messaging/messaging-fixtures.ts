import { randomUUID } from 'node:crypto';
import type { PaymentInitiated, RiskAssessed } from '@paystream/contracts';
import { dlqTopic } from '@paystream/contracts';
import { SchemaRegistryCodec, messagingMigrations } from '@paystream/messaging';
import { createDataSource } from '@paystream/persistence';
import {
  TEST_REGISTRY_URL,
  TEST_SERVER_URL,
  TestDatabase,
  createTestDatabase,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';

/**
 * Shared by the messaging integration and fault tests (and their child scripts): contract events
 * with fresh ids, and a test database with the runtime's tables plus an effects table where each
 * handler call leaves one row (no unique key, so a double application shows as a count of 2).
 */
export class TestEffects1764072000999 implements MigrationInterface {
  name = 'TestEffects1764072000999';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE test_effects (
      id BIGSERIAL PRIMARY KEY, group_id TEXT NOT NULL, event_id TEXT NOT NULL, key TEXT NOT NULL,
      topic TEXT NOT NULL, partition INT NOT NULL, "offset" BIGINT NOT NULL, pid INT NOT NULL)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE test_effects`);
  }
}

export const testMigrations = [...messagingMigrations, TestEffects1764072000999];

export function openDataSource(database: string, poolSize = 4, serverUrl = TEST_SERVER_URL): DataSource {
  return createDataSource({
    serverUrl,
    database,
    poolSize,
    entities: [],
    migrations: testMigrations,
    applicationName: `messaging-test-${process.pid}`,
  });
}

export async function createMigratedDatabase(prefix: string): Promise<{ db: TestDatabase; dataSource: DataSource }> {
  const db = await createTestDatabase(prefix);
  const dataSource = openDataSource(db.name);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return { db, dataSource };
}

/** What the tests of one consumer describe block share; `cleanups` run last first after them all. */
export interface ConsumerTestBed {
  db: TestDatabase;
  dataSource: DataSource;
  codec: SchemaRegistryCodec;
  cleanups: Array<() => Promise<void>>;
}

/** Registers the block's beforeAll (migrated database, registry codec) and afterAll (cleanups, drop). */
export function consumerTestBed(prefix: string): ConsumerTestBed {
  const bed = { cleanups: [] } as unknown as ConsumerTestBed;
  beforeAll(async () => {
    Object.assign(bed, await createMigratedDatabase(prefix));
    bed.codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
  });
  afterAll(async () => {
    for (const cleanup of bed.cleanups.reverse()) await cleanup();
    await bed.dataSource?.destroy();
    await bed.db?.drop();
  });
  return bed;
}

export function paymentInitiated(key: string, n = 0): PaymentInitiated {
  return {
    eventId: uuidv7(),
    type: 'payment.initiated',
    occurredAt: new Date().toISOString(),
    paymentId: uuidv7(),
    correlationId: randomUUID(),
    version: 1,
    data: {
      debtorAccountId: key,
      creditorAccountId: 'acc-creditor',
      amount: `${n}.00`,
      currency: 'EUR',
      reference: `ref-${n}`,
      metadata: null,
    },
  };
}

export function riskAssessed(source: PaymentInitiated): RiskAssessed {
  return {
    eventId: uuidv7(),
    type: 'risk.assessed',
    occurredAt: new Date().toISOString(),
    paymentId: source.paymentId,
    correlationId: source.correlationId,
    version: 1,
    data: {
      debtorAccountId: source.data.debtorAccountId,
      creditorAccountId: source.data.creditorAccountId,
      amount: source.data.amount,
      currency: source.data.currency,
      decision: 'APPROVE',
      score: 1,
      reasons: [],
      ruleVersion: 1,
    },
  };
}

/** Rows in test_effects per event id for a group: a Map of eventId → count. */
export async function effectCounts(dataSource: DataSource, group: string): Promise<Map<string, number>> {
  const rows = await dataSource.query<Array<{ event_id: string; n: number }>>(
    `SELECT event_id, count(*)::int AS n FROM test_effects WHERE group_id = $1 GROUP BY event_id`,
    [group],
  );
  return new Map(rows.map((r) => [r.event_id, r.n]));
}

/** Inserts the effect row of one handled event (what every test handler does). */
export async function recordEffect(
  manager: { query(sql: string, params: unknown[]): Promise<unknown> },
  group: string,
  eventId: string,
  key: string,
  origin: { topic: string; partition: number; offset: string },
): Promise<void> {
  await manager.query(
    `INSERT INTO test_effects (group_id, event_id, key, topic, partition, "offset", pid) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
    [group, eventId, key, origin.topic, origin.partition, origin.offset, process.pid],
  );
}

/** The headers of the first `count` records of a group's DLQ topic, read from its start. */
export async function dlqHeaders(topic: string, group: string, count: number): Promise<Array<Record<string, string>>> {
  const dead: Array<Record<string, string>> = [];
  const reader = testKafka(`${group}-dlq-reader`).consumer({ groupId: uniqueName('dlq-reader') });
  await reader.connect();
  try {
    await reader.subscribe({ topic: dlqTopic(topic, group), fromBeginning: true });
    await reader.run({
      eachMessage: ({ message }) => {
        dead.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
        return Promise.resolve();
      },
    });
    await waitFor(`${count} DLQ record(s)`, () => dead.length >= count);
  } finally {
    await reader.disconnect();
  }
  return dead;
}

/** Checks that `condition` keeps holding for `ms` (the opposite of waitFor: something must NOT happen). */
export async function holdsFor(what: string, condition: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await condition())) throw new Error(`stopped holding: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Deletes topics the runtime created on its own (the consumers' `<topic>.<group>.dlq`). */
export async function deleteTopics(names: string[]): Promise<void> {
  const admin = testKafka('messaging-test-cleanup').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = names.filter((n) => existing.has(n));
    if (topics.length) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/** Writes payment.initiated events to `topic`, keyed by debtor, encoded as the platform does. */
export async function producePayments(
  topic: string,
  events: PaymentInitiated[],
  codec: SchemaRegistryCodec,
): Promise<void> {
  const producer = testKafka('messaging-test-input').producer({ idempotent: true });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: await Promise.all(
        events.map(async (e) => ({ key: e.data.debtorAccountId, value: await codec.encode(topic, e) })),
      ),
    });
  } finally {
    await producer.disconnect();
  }
}
