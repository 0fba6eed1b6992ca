import type { PaymentEvent } from '@paystream/contracts';
import { ExactlyOnceConsumer, PhaseProfile, SchemaRegistryCodec, kafkaClientConfig } from '@paystream/messaging';
import { Metrics } from '@paystream/observability';
import { createDataSource, databaseUrl, ensureDatabase, migrateUnderLock } from '@paystream/persistence';
import { Kafka } from 'kafkajs';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { LedgerConfig } from '../config';
import { ledgerMigrations } from '../migrations';
import { ledgerEntities } from '../persistence';
import { recomputeBalances, setBookingTimes } from '../persistence/journal.writer';
import { LedgerChecksumRow, ledgerChecksum } from '../persistence/ledger.reader';
import { Sql, rows } from '../persistence/sql';
import { restoreSecondaryStructures, suspendSecondaryStructures } from './bulk-load';
import { ProgressBar } from './progress-bar';
import { AUTHORIZATION_TIME_TYPES, AuthorizationTimes, REBUILD_EVENT_TYPES, RebuildApplier } from './rebuild.applier';
import { ReplayClock } from './replay-clock';

export interface RebuildOptions {
  config: LedgerConfig;
  /** Rebuild only what was booked at or before this time, and compare with the live ledger as of it. */
  asOf?: Date;
  /** Default `<live database>_rebuild_<utc timestamp>`. */
  targetDatabase?: string;
  batchSize?: number;
  partitionsConcurrently?: number;
  /** Kafka fetch size per partition (default REBUILD_FETCH_BYTES_PER_PARTITION). */
  fetchBytesPerPartition?: number;
  /** Fetch the next batches while applying these (default true; ExactlyOnceConsumerOptions.pipelineFetches). */
  pipelineFetches?: boolean;
  progress?: boolean;
  /** Collects wall time per chunk phase of the replay (diagnosis; README: performance). */
  profile?: PhaseProfile;
}

/**
 * The replay's fetch size per partition: 8 MiB, about 20,000 payment events, so one fetch feeds
 * several whole chunks instead of kafkajs' 1 MiB (about 2,600 events) capping each chunk and
 * leaving the partition idle between small fetches. The bench's raw baseline fetches the same.
 */
export const REBUILD_FETCH_BYTES_PER_PARTITION = 8 * 1024 * 1024;
/** Partitions the replay applies at once (each its own transaction). */
export const REBUILD_PARTITIONS_CONCURRENTLY = 4;

export interface RebuildResult {
  database: string;
  group: string;
  topic: string;
  events: number;
  /** From starting the consumer (joining the group included) to the end offsets. */
  seconds: number;
  /** Records per second from joining the group to the end offsets (the look-up pass included). */
  eventsPerSecond: number;
  /** Payments replayed from events without a booking time (written before schema v2). */
  untimedPayments: number;
  /** The look-up pass for their authorization times (0 when every event carried its time). */
  timeLookupSeconds: number;
  /** After the replay: late booking times, keys, indexes and foreign keys back, balances summed. */
  finalizeSeconds: number;
  /**
   * Records per second over the replay and the final step together: everything between joining
   * the group and the checksum (what is left out is setting up: creating and migrating the
   * database, copying the account definitions, joining the group; and the two checksums).
   */
  eventsPerSecondWithFinalize: number;
  rebuilt: LedgerChecksumRow;
  live: LedgerChecksumRow;
  matches: boolean;
  accountsCopied: number;
  /** The consumed end offsets per partition (what `--swap` hands over to the live group). */
  endOffsets: Record<number, string>;
}

type RebuildReplay = Pick<ConstructorParameters<typeof ExactlyOnceConsumer>[0], 'acceptTypes' | 'handler'>;

function timestamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:T.Z]/g, '')
    .slice(0, 17);
}

export function openDatabase(config: LedgerConfig, database: string, poolSize: number): DataSource {
  return createDataSource({
    serverUrl: config.DATABASE_URL,
    database,
    poolSize,
    entities: ledgerEntities,
    migrations: ledgerMigrations,
    applicationName: `paystream-ledger-rebuild`,
  });
}

/**
 * Accounts are opened over HTTP, not by events, so the replay cannot learn them from
 * payment-events: their definitions (id, currency, overdraft, name, opening time) are copied
 * from the live ledger; balances are not copied but derived from the replayed postings.
 */
async function copyAccountDefinitions(live: Sql, target: Sql): Promise<number> {
  const accounts = await rows<{
    id: string;
    currency: string;
    allow_overdraft: boolean;
    name: string | null;
    created_at: Date;
  }>(live, `SELECT id, currency, allow_overdraft, name, created_at FROM accounts ORDER BY id`);
  for (let i = 0; i < accounts.length; i += 5000) {
    const chunk = accounts.slice(i, i + 5000);
    await target.query(
      `INSERT INTO accounts (id, currency, allow_overdraft, name, created_at)
       SELECT * FROM unnest($1::varchar[], $2::char(3)[], $3::boolean[], $4::varchar[], $5::timestamptz[])`,
      [
        chunk.map((a) => a.id),
        chunk.map((a) => a.currency),
        chunk.map((a) => a.allow_overdraft),
        chunk.map((a) => a.name),
        chunk.map((a) => a.created_at.toISOString()),
      ],
    );
  }
  return accounts.length;
}

async function onServer(config: LedgerConfig, statement: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl(config.DATABASE_URL, 'postgres') });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The first offset of each partition (retention may have removed the start) and the records in all. */
async function topicExtent(kafka: Kafka, topic: string): Promise<{ low: Map<number, number>; size: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return {
      low: new Map(offsets.map((p) => [p.partition, Number(p.low)])),
      size: offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0),
    };
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopicIfEmpty(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
    if (offsets.length && offsets.every((p) => p.high === p.low)) await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Replays the payment-events topic from offset 0 to the end offsets taken at start into a fresh
 * database, through the same exactly-once runtime as the live ledger (a new, unique consumer
 * group), then compares its checksum with the live one. Entries come from recorded facts only.
 */
export async function rebuildLedger(options: RebuildOptions): Promise<RebuildResult> {
  const { config } = options;
  const topic = config.LEDGER_PAYMENT_EVENTS_TOPIC;
  const stamp = timestamp();
  const database = options.targetDatabase ?? `${config.DATABASE_NAME}_rebuild_${stamp}`.slice(0, 63);
  const group = `${config.LEDGER_CONSUMER_GROUP}-rebuild-${stamp}-${Math.random().toString(36).slice(2, 8)}`;
  const kafkaConfig = kafkaClientConfig(config, '-rebuild');
  const kafka = new Kafka(kafkaConfig);

  if (!(await ensureDatabase(config.DATABASE_URL, database))) {
    throw new Error(`database ${database} already exists: a rebuild needs a fresh one`);
  }
  // A half-done rebuild is thrown away and started again, so its batches need not wait for the
  // WAL flush; the setting is reset before the final balance update, whose synchronous commit
  // makes everything before it durable too.
  await onServer(config, `ALTER DATABASE "${database}" SET synchronous_commit = off`);
  const target = openDatabase(config, database, 8);
  const live = openDatabase(config, config.DATABASE_NAME, 2);
  await target.initialize();
  let consumer: ExactlyOnceConsumer | undefined;
  try {
    await migrateUnderLock(target);
    const restore = await suspendSecondaryStructures(target);
    await live.initialize();
    const accountsCopied = await copyAccountDefinitions(live, target);

    const codec = await SchemaRegistryCodec.create({
      url: config.SCHEMA_REGISTRY_URL,
      username: config.SCHEMA_REGISTRY_USERNAME,
      password: config.SCHEMA_REGISTRY_PASSWORD,
    });
    const applier = new RebuildApplier(options.asOf);
    const extent = await topicExtent(kafka, topic);
    const replay = (
      replayGroup: string,
      acceptTypes: RebuildReplay['acceptTypes'],
      handler: RebuildReplay['handler'],
    ) =>
      new ExactlyOnceConsumer({
        dataSource: target,
        kafkaConfig,
        codec,
        group: replayGroup,
        topics: [topic],
        acceptTypes,
        // No dedupe rows: the rebuild database is fresh and never resumed, records below the stored
        // offset are never applied twice, and what a re-sent copy (same eventId, same payment)
        // writes is idempotent per payment: ON CONFLICT DO NOTHING on the entry id, the payment's
        // entry, outcome and refusal. The live group after --swap never reads them either (it
        // dedupes under its own group name).
        dedupe: false,
        metrics: clock.metrics,
        handler,
        profile: options.profile,
        fromBeginning: true,
        stopAtEndOffsets: true,
        maxBatchSize: options.batchSize ?? 5000,
        partitionsConsumedConcurrently: options.partitionsConcurrently ?? REBUILD_PARTITIONS_CONCURRENTLY,
        maxBytesPerPartition: options.fetchBytesPerPartition ?? REBUILD_FETCH_BYTES_PER_PARTITION,
        // kafkajs fetches the next batches while these are written (libs/messaging README).
        pipelineFetches: options.pipelineFetches ?? true,
      });
    // Progress and the rate count every record the runtime fetched, the ones it passed over by
    // type (acceptTypes) included: the handler only sees the few types the replay applies.
    const clock = new ReplayClock(new Metrics('ledger-rebuild'), group, topic);
    const progress = options.progress ? new ProgressBar(extent.size, () => clock.consumed) : undefined;
    const started = Date.now();
    consumer = replay(group, REBUILD_EVENT_TYPES, (event, ctx) => applier.apply(event as PaymentEvent, ctx));
    progress?.start(process.stderr.isTTY ? 250 : 2000);
    clock.start();
    await consumer.start();
    // start() returns once the group is joined and partitions assigned: the rate's window opens
    // here, so it includes the first fetch (with 8 MiB fetches most of a small topic arrives in
    // it). The bench's raw baseline opens its window at the same point.
    const joinedAt = Date.now();
    await consumer.finished;
    let finishedAt = Date.now();
    await clock.stop();
    await consumer.stop();
    consumer = undefined;
    progress?.stop();

    // Events written before schema v2 carry no booking time: a second pass reads only
    // payment.authorized (its own group) for those payments, until it has found them all. Never
    // runs on a topic written since.
    const times = new AuthorizationTimes(applier.untimed);
    let timeLookupSeconds = 0;
    if (applier.untimed.size > 0) {
      const lookingUp = Date.now();
      if (options.progress)
        process.stderr.write(`looking up the authorization time of ${applier.untimed.size} payments\n`);
      consumer = replay(`${group}-times`, AUTHORIZATION_TIME_TYPES, (event) => times.apply(event as PaymentEvent));
      await consumer.start();
      // Done at the end offsets or, sooner, once every such payment has its time: the part of the
      // topic written since the upgrade to schema v2 holds none of their authorizations.
      await Promise.race([consumer.finished, times.found]);
      await consumer.stop();
      consumer = undefined;
      finishedAt = Date.now();
      timeLookupSeconds = (finishedAt - lookingUp) / 1000;
    }
    const seconds = (finishedAt - started) / 1000;
    const applySeconds = (finishedAt - joinedAt) / 1000;

    const finalizing = Date.now();
    await onServer(config, `ALTER DATABASE "${database}" RESET synchronous_commit`);
    await target.transaction(async (m) => {
      await m.query('SET LOCAL synchronous_commit = on');
      if (applier.untimed.size > 0) await setBookingTimes(m, applier.untimed, times.times, options.asOf);
      // Restored before the balances: a posting to an account that was never defined fails here.
      await restoreSecondaryStructures(m, restore);
      await recomputeBalances(m);
    });
    const finalizeSeconds = (Date.now() - finalizing) / 1000;
    const endOffsets = Object.fromEntries(
      (
        await rows<{ partition: number; next_offset: string }>(
          target,
          `SELECT partition, next_offset::text FROM messaging_consumer_offsets WHERE group_id = $1 AND topic = $2`,
          [group, topic],
        )
      ).map((r) => [r.partition, r.next_offset]),
    );
    const rebuilt = await ledgerChecksum(target);
    const liveSum = await live.transaction('REPEATABLE READ', (m) => ledgerChecksum(m, options.asOf));
    for (const g of [group, `${group}-times`])
      await deleteTopicIfEmpty(kafka, `${topic}.${g}.dlq`).catch(() => undefined);
    // Every record replayed, whether applied or passed over by type.
    const events = Object.entries(endOffsets).reduce(
      (sum, [partition, next]) => sum + Number(next) - (extent.low.get(Number(partition)) ?? 0),
      0,
    );
    return {
      database,
      group,
      topic,
      events,
      seconds,
      eventsPerSecond: applySeconds > 0 ? Math.round(events / applySeconds) : events,
      eventsPerSecondWithFinalize: Math.round(events / (applySeconds + finalizeSeconds)),
      untimedPayments: applier.untimed.size,
      timeLookupSeconds,
      finalizeSeconds,
      rebuilt,
      live: liveSum,
      matches: rebuilt.checksum === liveSum.checksum,
      accountsCopied,
      endOffsets,
    };
  } finally {
    await consumer?.stop().catch(() => undefined);
    if (live.isInitialized) await live.destroy();
    if (target.isInitialized) await target.destroy();
  }
}
