import { availableParallelism } from 'node:os';
import { PartitionEnd, kafkaClientConfig } from '@paystream/messaging';
import { databaseUrl, ensureDatabase, migrateUnderLock } from '@paystream/persistence';
import { Kafka } from 'kafkajs';
import { Client } from 'pg';
import type { LedgerConfig } from '../config';
import { recomputeBalances, setBookingTimes } from '../persistence/journal.writer';
import { LedgerChecksumRow, ledgerChecksum } from '../persistence/ledger.reader';
import { keepFirstPerPayment } from '../persistence/replay-rows';
import { Sql, rows } from '../persistence/sql';
import { restoreForeignKeys, restoreKeysAndIndexes, suspendSecondaryStructures } from './bulk-load';
import { ProgressBar } from './progress-bar';
import { openDatabase } from './rebuild-database';
import { runReplayGroup } from './replay-group';
import type { ReplayMemberData } from './replay-member';

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
  /**
   * Members of the replay group, each a worker thread with its share of the partitions (default
   * rebuildMembers: one per core, at most one per partition with records).
   */
  members?: number;
  progress?: boolean;
}

/**
 * The replay's fetch size per partition: 8 MiB, about 20,000 payment events, so one fetch feeds
 * several whole chunks instead of kafkajs' 1 MiB (about 2,600 events) capping each chunk and
 * leaving the partition idle between small fetches. The bench's raw baseline fetches the same.
 */
export const REBUILD_FETCH_BYTES_PER_PARTITION = 8 * 1024 * 1024;
/**
 * Records per transaction of the replay. A partition's chunks commit one after the other, so the
 * last chunk's rows are written while nothing else is left to do: smaller chunks shorten that
 * tail, larger ones share each commit among more records. Measured on the bench topic (60,000
 * events, 8 MiB fetches): 2,000 a chunk replayed faster than 5,000 (apps/ledger README).
 */
export const REBUILD_CHUNK_RECORDS = 2000;
/** Partitions each member of the replay applies at once. */
export const REBUILD_PARTITIONS_CONCURRENTLY = 4;

/**
 * The replay's default group size: one member per two cores the process may use, at most one per
 * partition with records to read (a member without partitions would only wait). A member keeps
 * more than its thread busy (V8's garbage collection runs beside it) and PostgreSQL writes what
 * it replays: on the 2-core machine this project is measured on, two members were slower than
 * one (apps/ledger README, "Performance").
 */
export function rebuildMembers(partitionsWithRecords: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(Math.floor(cores / 2), partitionsWithRecords));
}

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
  /** Members of the replay group (worker threads). */
  members: number;
  /** Whether the replay met a payment twice and kept its first rows (keepFirstPerPayment). */
  duplicatesRemoved: boolean;
}

function timestamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:T.Z]/g, '')
    .slice(0, 17);
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

/**
 * Where the replay ends (the end offsets at start), the first offset of each partition (retention
 * may have removed the start) and the records in all.
 */
async function topicExtent(
  kafka: Kafka,
  topic: string,
): Promise<{ ends: PartitionEnd[]; low: Map<number, number>; size: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return {
      ends: offsets.map((p) => ({ topic, partition: p.partition, offset: Number(p.high) })),
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
    // Asked only of a topic that exists: kafkajs retries offsets of a missing one for seconds.
    if (!(await admin.listTopics()).includes(topic)) return;
    const offsets = await admin.fetchTopicOffsets(topic);
    if (offsets.every((p) => p.high === p.low)) await admin.deleteTopics({ topics: [topic] });
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
  // Four connections: the final step adds back the keys and indexes of four tables at once.
  const target = openDatabase(config, database, 4);
  const live = openDatabase(config, config.DATABASE_NAME, 2);
  await target.initialize();
  try {
    await migrateUnderLock(target);
    const restore = await suspendSecondaryStructures(target);
    await live.initialize();
    const accountsCopied = await copyAccountDefinitions(live, target);

    const extent = await topicExtent(kafka, topic);
    const members =
      options.members ??
      rebuildMembers(extent.ends.filter((e) => e.offset > (extent.low.get(e.partition) ?? 0)).length);
    const pass = (name: string, overrides: Partial<ReplayMemberData>): ReplayMemberData => ({
      config,
      database,
      group: name,
      topic,
      members,
      pass: 'replay',
      asOfMillis: options.asOf?.getTime(),
      endOffsets: extent.ends,
      batchSize: options.batchSize ?? REBUILD_CHUNK_RECORDS,
      partitionsConcurrently: options.partitionsConcurrently ?? REBUILD_PARTITIONS_CONCURRENTLY,
      fetchBytesPerPartition: options.fetchBytesPerPartition ?? REBUILD_FETCH_BYTES_PER_PARTITION,
      pipelineFetches: options.pipelineFetches ?? true,
      ...overrides,
    });
    // Progress and the rate count every record the members fetched, the ones they passed over by
    // type (acceptTypes) included: the handler only sees the few types the replay applies.
    let consumed = 0;
    const progress = options.progress ? new ProgressBar(extent.size, () => consumed) : undefined;
    const started = Date.now();
    progress?.start(process.stderr.isTTY ? 250 : 2000);
    const replayed = await runReplayGroup(
      pass(group, {}),
      (n) => (consumed = n),
      // The bar's events/s counts from where the reported rate does.
      () => progress?.restartClock(),
    );
    progress?.stop();
    // The rate's window opens once every partition is assigned, so it includes the first fetch
    // (with 8 MiB fetches most of a small topic arrives in it). The bench's raw baseline opens its
    // window at the same point.
    const assignedAt = replayed.assignedAt;
    let finishedAt = replayed.finishedAt;
    const untimed = replayed.untimed;

    // Events written before schema v2 carry no booking time: a second pass reads only
    // payment.authorized (its own group, one member) for those payments, until it has found them
    // all. Never runs on a topic written since.
    let times = new Map<string, Date>();
    let timeLookupSeconds = 0;
    if (untimed.size > 0) {
      const lookingUp = Date.now();
      if (options.progress) process.stderr.write(`looking up the authorization time of ${untimed.size} payments\n`);
      const lookup = await runReplayGroup(pass(`${group}-times`, { members: 1, pass: 'times', untimed: [...untimed] }));
      times = lookup.times;
      finishedAt = Date.now();
      timeLookupSeconds = (finishedAt - lookingUp) / 1000;
    }
    const seconds = (finishedAt - started) / 1000;
    const applySeconds = (finishedAt - assignedAt) / 1000;

    const finalizing = Date.now();
    // The database's own setting back (sessions opened from now on, the live ledger's after
    // --swap); meanwhile the keys and indexes come back, table by table, and the last transaction
    // commits synchronously, which makes everything before it durable.
    const resetting = onServer(config, `ALTER DATABASE "${database}" RESET synchronous_commit`);
    // First, while every row still has the transaction that wrote it (keepFirstPerPayment tells
    // first from later by it; an update gives a row a new one).
    const duplicatesRemoved = await restoreKeysAndIndexes(target, restore, keepFirstPerPayment);
    await target.transaction(async (m) => {
      await m.query('SET LOCAL synchronous_commit = on');
      if (untimed.size > 0) await setBookingTimes(m, untimed, times, options.asOf);
      // A posting to an account that was never defined fails here.
      await restoreForeignKeys(m, restore);
      await recomputeBalances(m);
    });
    await resetting;
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
    for (const g of untimed.size > 0 ? [group, `${group}-times`] : [group])
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
      untimedPayments: untimed.size,
      timeLookupSeconds,
      finalizeSeconds,
      rebuilt,
      live: liveSum,
      matches: rebuilt.checksum === liveSum.checksum,
      accountsCopied,
      endOffsets,
      members,
      duplicatesRemoved,
    };
  } finally {
    if (live.isInitialized) await live.destroy();
    if (target.isInitialized) await target.destroy();
  }
}
