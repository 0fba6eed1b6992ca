import { Controller, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { AnyEvent } from '@paystream/contracts';
import { dlqTopic } from '@paystream/contracts';
import { JsonLogger, Metrics } from '@paystream/observability';
import { PersistenceModule } from '@paystream/persistence';
import { PlatformModule, ProblemFilter, SharedConfig, loadConfig } from '@paystream/platform';
import {
  TEST_REGISTRY_URL,
  TestDatabase,
  createTestDatabase,
  createTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { IHeaders, Producer } from 'kafkajs';
import { DataSource, EntityManager } from 'typeorm';
import {
  effectCounts,
  paymentInitiated,
  recordEffect,
  riskAssessed,
  testMigrations,
} from '../../../../test/messaging/messaging-fixtures';
import { MessagingModule } from '../messaging.module';
import { PermanentError } from '../ports';
import { SchemaRegistryCodec } from '../serde';
import { ExactlyOnceContext } from './exactly-once-context';
import { exactlyOnceConsumer } from './exactly-once.strategy';

interface DlqRecord {
  value: Buffer | null;
  headers: Record<string, string>;
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}

// The event whose handler has a bug (an unknown error), and how often it was called.
const buggy = { eventId: '', calls: 0 };

// @EventPattern needs the topic when the class is declared: the module is built per run.
function appModule(
  topic: string,
  outputTopic: string,
  group: string,
  poisonEventId: string,
  platform: ReturnType<typeof PlatformModule.forRoot>,
) {
  @Controller()
  class ProbeController {
    @EventPattern(topic)
    async onEvent(@Payload() event: AnyEvent, @Ctx() ctx: ExactlyOnceContext): Promise<void> {
      if (event.eventId === poisonEventId) throw new PermanentError('TEST_INVARIANT', 'this event breaks an invariant');
      if (event.eventId === buggy.eventId) {
        buggy.calls++;
        throw new TypeError('a bug in the handler');
      }
      if (event.type !== 'payment.initiated') throw new PermanentError('UNEXPECTED_TYPE', event.type);
      await recordEffect(ctx.manager, group, event.eventId, ctx.getMessage().key?.toString() ?? '', ctx.origin);
      // Write-behind: one multi-row insert per batch instead of one per event.
      const ids = ctx.batchState<string[]>('deferred-ids', () => []);
      ids.push(event.eventId);
      ctx.deferUntilCommit('deferred-ids', (m: EntityManager) =>
        m.query(
          `INSERT INTO test_effects (group_id, event_id, key, topic, partition, "offset", pid)
           SELECT $1, unnest($2::text[]), '', '', 0, 0, 0`,
          [`${group}-deferred`, ids],
        ),
      );
      await ctx.emit({ topic: outputTopic, key: event.data.debtorAccountId, event: riskAssessed(event) });
    }
  }

  @Module({
    imports: [
      platform,
      PersistenceModule.forRoot({ entities: [], migrations: testMigrations }),
      MessagingModule.forRoot({ relay: true }),
    ],
    controllers: [ProbeController],
  })
  class ProbeAppModule {}
  return ProbeAppModule;
}

describe('exactlyOnceConsumer (Nest transport)', () => {
  const topic = uniqueName('eo_nest');
  const outputTopic = uniqueName('eo_nest_out');
  const group = uniqueName('eo_nest_group');
  let db: TestDatabase;
  let app: INestApplication | undefined;
  let producer: Producer | undefined;
  let deleteTopics: (() => Promise<void>) | undefined;
  let codec: SchemaRegistryCodec;

  beforeAll(async () => {
    db = await createTestDatabase('eo_nest');
    deleteTopics = await createTopics([
      { name: topic, partitions: 2 },
      { name: outputTopic, partitions: 2 },
      { name: dlqTopic(topic, group), partitions: 1 },
    ]);
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const config = loadConfig(
      'msgtest',
      3999,
      {},
      {
        DATABASE_NAME: db.name,
        DATABASE_URL: db.serverUrl,
        DATABASE_POOL_SIZE: '4',
        KAFKA_CLIENT_ID: uniqueName('eo-nest'),
        SCHEMA_REGISTRY_URL: TEST_REGISTRY_URL,
        LOG_LEVEL: 'warn',
      },
    ) as SharedConfig;
    const logger = new JsonLogger('msgtest', 'error');
    const metrics = new Metrics('msgtest');
    const platform = PlatformModule.forRoot({ service: 'msgtest', config, logger, metrics });
    const poison = paymentInitiated('acct-poison', 999);
    poisonId = poison.eventId;
    poisonEvent = poison;
    app = await NestFactory.create(
      appModule(topic, outputTopic, group, poison.eventId, platform),
      new FastifyAdapter(),
      {
        logger: false,
      },
    );
    app.useGlobalFilters(new ProblemFilter(logger));
    app.connectMicroservice(exactlyOnceConsumer(app, { group, topics: [topic], maxBatchSize: 50 }), {
      inheritAppConfig: true,
    });
    await app.init();
    await app.startAllMicroservices();
    producer = testKafka('eo-nest-producer').producer({ idempotent: true });
    await producer.connect();
  });

  let poisonId = '';
  let poisonEvent: ReturnType<typeof paymentInitiated>;

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
    await deleteTopics?.();
    await db?.drop();
  });

  it('applies each event once, sends an undecodable record, a PermanentError and a handler bug (after 5 attempts) to the DLQ with headers, and processes the records after them', async () => {
    const key = 'acct-same-partition';
    const before = Array.from({ length: 30 }, (_, i) => paymentInitiated(key, i));
    const after = Array.from({ length: 30 }, (_, i) => paymentInitiated(key, 100 + i));
    const duplicate = before[3];
    const buggyEvent = paymentInitiated(key, 998);
    buggy.eventId = buggyEvent.eventId;
    const encode = (e: AnyEvent) => codec.encode(topic, e);
    const messages = [
      ...(await Promise.all(
        before.map(async (e) => ({ key, value: await encode(e), headers: { eventId: e.eventId } })),
      )),
      { key, value: Buffer.from('not avro at all'), headers: { eventId: 'garbage-1' } },
      { key, value: await encode(poisonEvent), headers: { eventId: poisonId } },
      { key, value: await encode(duplicate), headers: { eventId: duplicate.eventId } },
      { key, value: await encode(buggyEvent), headers: { eventId: buggyEvent.eventId } },
      ...(await Promise.all(
        after.map(async (e) => ({ key, value: await encode(e), headers: { eventId: e.eventId } })),
      )),
    ];
    await producer!.send({ topic, acks: -1, messages });
    const good = [...before, ...after];

    const dataSource = app!.get(DataSource);
    await waitFor('good events applied', async () => (await effectCounts(dataSource, group)).size === good.length, {
      timeoutMs: 60_000,
    });
    const counts = await effectCounts(dataSource, group);
    expect(good.map((e) => counts.get(e.eventId))).toEqual(good.map(() => 1));
    expect(counts.has(poisonId)).toBe(false);
    const deferred = await effectCounts(dataSource, `${group}-deferred`);
    expect(good.map((e) => deferred.get(e.eventId))).toEqual(good.map(() => 1));

    // The partition moved on past all of them.
    await waitFor('offset past the last record', async () => {
      const rows = await dataSource.query<Array<{ next: number }>>(
        `SELECT sum(next_offset)::int AS next FROM messaging_consumer_offsets WHERE group_id = $1`,
        [group],
      );
      return rows[0]?.next === messages.length;
    });

    const dlq: DlqRecord[] = [];
    const reader = testKafka('eo-nest-dlq').consumer({ groupId: uniqueName('dlq-reader') });
    await reader.connect();
    await reader.subscribe({ topic: dlqTopic(topic, group), fromBeginning: true });
    await reader.run({
      eachMessage: ({ message }) => {
        dlq.push({ value: message.value, headers: stringHeaders(message.headers) });
        return Promise.resolve();
      },
    });
    await waitFor('three DLQ records', () => dlq.length >= 3);
    await reader.disconnect();
    expect(dlq).toHaveLength(3);
    const [garbage, poison, bug] = dlq;
    // Unknown errors: retried, and dead-lettered on the 5th failure of the same record.
    expect(bug.headers).toMatchObject({
      'dlq.offset': '33',
      'dlq.errorCode': 'TypeError',
      'dlq.eventId': buggy.eventId,
    });
    expect(buggy.calls).toBe(5);
    expect(garbage.value?.toString()).toBe('not avro at all');
    expect(garbage.headers).toMatchObject({
      'dlq.topic': topic,
      'dlq.offset': '30',
      'dlq.group': group,
      'dlq.errorCode': 'UNDECODABLE',
      'dlq.eventId': 'garbage-1',
      eventId: 'garbage-1',
    });
    expect(poison.headers).toMatchObject({
      'dlq.topic': topic,
      'dlq.offset': '31',
      'dlq.group': group,
      'dlq.errorCode': 'TEST_INVARIANT',
      'dlq.errorMessage': 'this event breaks an invariant',
      'dlq.eventId': poisonId,
    });
    expect(poison.headers['dlq.partition']).toBe(garbage.headers['dlq.partition']);
  });

  it('publishes the events handlers emit through the outbox, once each, with type, eventId, traceparent and correlationId headers', async () => {
    const dataSource = app!.get(DataSource);
    const expected = await dataSource.query<Array<{ event_id: string }>>(
      `SELECT event_id FROM messaging_outbox WHERE topic = $1`,
      [outputTopic],
    );
    expect(expected).toHaveLength(60);
    const seen: Array<{ headers: Record<string, string>; event: AnyEvent }> = [];
    const reader = testKafka('eo-nest-out').consumer({ groupId: uniqueName('out-reader') });
    await reader.connect();
    await reader.subscribe({ topic: outputTopic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        seen.push({ headers: stringHeaders(message.headers), event: await codec.decode(outputTopic, message.value!) });
      },
    });
    await waitFor('60 outputs', () => seen.length >= 60, { timeoutMs: 30_000 });
    await reader.disconnect();
    expect(new Set(seen.map((s) => s.event.eventId))).toEqual(new Set(expected.map((r) => r.event_id)));
    for (const s of seen) {
      expect(s.headers.type).toBe('risk.assessed');
      expect(s.headers.eventId).toBe(s.event.eventId);
      expect(s.headers.correlationId).toBe(s.event.correlationId);
      expect(s.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });
});
