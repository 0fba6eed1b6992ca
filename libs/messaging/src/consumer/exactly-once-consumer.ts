import '../kafkajs-request-queue.patch';
import '../kafkajs-coordinator-cache.patch';
import { headerBytes } from '../kafkajs-record-decoder.patch';
import { randomUUID } from 'node:crypto';
import type { AnyEvent, EventType } from '@paystream/contracts';
import { dlqTopic } from '@paystream/contracts';
import type { JsonLogger, Metrics } from '@paystream/observability';
import { withCorrelationId } from '@paystream/observability';
import {
  Admin,
  Consumer,
  ConsumerCrashEvent,
  ConsumerGroupJoinEvent,
  EachBatchPayload,
  Kafka,
  KafkaConfig,
  KafkaMessage,
  Message,
  PartitionAssigner,
  Producer,
} from 'kafkajs';
import type { DataSource, QueryRunner } from 'typeorm';
import { UNKNOWN_ERROR_ATTEMPTS, backoffDelay, classifyError, errorCode, settlesWithin, sleep } from '../failure';
import { HeaderValueSet, headerString, toKafkaHeaders } from '../headers';
import { ConsumerMetrics, consumerMetrics } from '../messaging-metrics';
import { insertOutboxRows } from '../outbox/outbox-rows';
import { VerifiedSend } from '../verified-send';
import { EventCodec, EventOrigin, PermanentError } from '../ports';
import { ChunkScope, EmittedRecord } from './chunk-scope';
import { sendToDeadLetter } from './dead-letter';
import { ExactlyOnceContext } from './exactly-once-context';
import type { PhaseProfile } from './phase-profile';
import { StatementGate } from './statement-gate';

export type ConsumerMode = 'database' | 'kafka-transaction';

export interface ChunkInfo {
  topic: string;
  partition: number;
  firstOffset: string;
  nextOffset: string;
  size: number;
}

/** Fault-injection points for the crash tests (not for production code). */
export interface ConsumerHooks {
  /** After handlers, flushes and the offset row, right before the PostgreSQL COMMIT. */
  beforePgCommit?: (info: ChunkInfo) => Promise<void> | void;
  /** After the PostgreSQL COMMIT, before Kafka learns of it (offset commit or transaction commit). */
  afterPgCommit?: (info: ChunkInfo) => Promise<void> | void;
}

export type EventHandler = (event: AnyEvent, ctx: ExactlyOnceContext) => Promise<void>;

export interface ExactlyOnceConsumerOptions {
  dataSource: DataSource;
  kafkaConfig: KafkaConfig;
  codec: EventCodec;
  group: string;
  topics: string[];
  handler: EventHandler;
  /**
   * The event types this group's handler is interested in (default: all). A record whose `type`
   * header names another type is skipped before decoding: no handler call, no dedupe row, no DLQ
   * even if its body is broken; its offset moves with the chunk's transaction. A record without a
   * `type` header is decoded and skipped the same way if its decoded type is not listed.
   */
  acceptTypes?: readonly EventType[];
  /**
   * Writes a dedupe row (group, eventId) per applied event (default true). false: no dedupe rows,
   * every record at or above the stored offset reaches the handler; the offset is still stored in
   * the chunk's transaction. Only for a handler whose effects are idempotent by themselves, keyed
   * by something a redelivered or re-sent record repeats (the ledger rebuild: one entry, outcome
   * and refusal per payment, inserted with ON CONFLICT DO NOTHING), and only in 'database' mode.
   */
  dedupe?: boolean;
  /** 'database' (default): emits go to the outbox in the batch transaction. */
  mode?: ConsumerMode;
  /** Records per PostgreSQL transaction (a fetched batch is cut into chunks of this size). Default 2000. */
  maxBatchSize?: number;
  /**
   * Fetch size per partition in bytes (kafkajs `maxBytesPerPartition`, default 1 MiB): it caps a
   * fetched batch, hence a chunk, at about this many bytes of records. A replay that reads a long
   * log raises it so each fetch feeds whole chunks; the total per fetch (`maxBytes`) follows as
   * this times the partitions consumed concurrently, never below kafkajs' 10 MiB default.
   */
  maxBytesPerPartition?: number;
  /** Where a group without stored offsets starts. Default true (an event log is read from its start). */
  fromBeginning?: boolean;
  /**
   * Takes the end offsets at start (or uses `endOffsets`) and resolves `finished` once every
   * partition reached them. Meant for a group of one member; with several, each member reaches
   * only its own partitions (`onEndReached`) and whoever started them decides when all are done.
   */
  stopAtEndOffsets?: boolean;
  /**
   * With stopAtEndOffsets: where to stop, instead of the end offsets at start. Several members of
   * one group replaying one snapshot of the log (the ledger rebuild) stop at the offsets their
   * coordinator took once; each taking its own would let records produced in between in.
   */
  endOffsets?: readonly PartitionEnd[];
  /**
   * With stopAtEndOffsets: called once per partition when the committed offset reached its end
   * (or, at start, when there was nothing to read). Only for partitions this member processed.
   */
  onEndReached?: (topic: string, partition: number) => void;
  /** kafkajs partition assigners of the group (default kafkajs' round robin). */
  partitionAssigners?: PartitionAssigner[];
  /** Called with this member's partitions per topic each time it receives an assignment. */
  onAssigned?: (assignment: Readonly<Record<string, readonly number[]>>) => void;
  /** Transactions running statements at once in this instance (a partition's chunks stay in order). Default 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * Database mode: chunks of different partitions that are ready together share one PostgreSQL
   * transaction (README: combined transactions). Default true; kafka-transaction mode never
   * combines (one transactional producer per input partition).
   */
  combinePartitions?: boolean;
  /** Group session timeout; a crashed member is noticed after this long. Default 30000 ms. */
  sessionTimeoutMs?: number;
  /**
   * Shortest fetch cycle in milliseconds (README: fetch cycle floor). A cycle whose records were
   * handled sooner waits out the rest before kafkajs fetches again, so records that arrive in the
   * meantime come in one fetch and one transaction instead of one cycle each. The wait follows the
   * commit: it never delays the records just handled, and an idle consumer still answers the
   * first record at once (the broker holds the fetch until data arrives). Default 0 (none).
   */
  lingerMs?: number;
  /**
   * Database mode, for a replay (the ledger rebuild): each fetched batch is queued behind the
   * partition's earlier ones and kafkajs is told at once that it was handled, so it fetches the
   * next batch while this one is applied (one batch ahead per partition). kafkajs otherwise fetches
   * only after every batch of the previous fetch returned, so a replay's time is the fetch plus
   * the applying. PostgreSQL's stored offsets stay the truth: a batch queued when the partition is
   * lost or the consumer stops is left to whoever reads from the stored offset next. Default false.
   */
  pipelineFetches?: boolean;
  /** Stable per process; names the transactional producers' owner in logs. */
  instanceId?: string;
  metrics?: Metrics;
  logger?: Pick<JsonLogger, 'event'>;
  hooks?: ConsumerHooks;
  /** Collects wall time per chunk phase (benchmarks, diagnosis); off by default. */
  profile?: PhaseProfile;
}

/** Where a replay of one partition ends: the offset after its last record to read. */
export interface PartitionEnd {
  topic: string;
  partition: number;
  offset: number;
}

interface Decoded {
  index: number;
  message: KafkaMessage;
  event: AnyEvent;
  eventId: string;
  /** The eventId as PostgreSQL spells the UUID (lower case): what the dedupe statement returns. */
  dedupeId: string;
}

interface DecodedChunk {
  decoded: Decoded[];
  /** Records passed over by type (acceptTypes). */
  skipped: number;
}

interface TxResult {
  applied: number;
  duplicates: number;
  outputs: Array<{ topic: string; message: Message }>;
  /** Ends this chunk's commit turn: call once its commit is complete (or failed), hooks included. */
  endTurn: () => void;
}

/** An error with the index of the record whose handler threw it (undefined: not attributable). */
class ChunkFailure extends Error {
  constructor(
    readonly cause: unknown,
    readonly index: number | undefined,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

interface BatchControl {
  isRunning(): boolean;
  isStale(): boolean;
  heartbeat(): Promise<void>;
}

/** A chunk waiting to join a combined transaction; resolves undefined when it must run alone. */
interface CombinedJob {
  topic: string;
  partition: number;
  live: Decoded[];
  nextOffset: number;
  info: ChunkInfo;
  resolve(result: TxResult | undefined): void;
}

/** A unique violation inside a combined transaction: every chunk of it runs alone instead. */
class CombinedConflict extends Error {}

/**
 * kafkajs batches in flight when chunks combine: enough for every partition of a fetch to reach
 * the combiner together (12 partitions per topic by default, a few topics per group).
 */
const COMBINED_BATCHES_IN_FLIGHT = 32;

/**
 * Database mode: how long committed-offset hints for Kafka are gathered before one
 * OffsetCommit request carries them all (PostgreSQL holds the truth; the hint serves lag tools).
 */
const HINT_INTERVAL_MS = 500;

/** README (performance): per-chunk costs are amortised by then; larger chunks hold locks longer. */
export const DEFAULT_MAX_BATCH_SIZE = 2000;

const UNIQUE_VIOLATION = '23505';

/** The dedupe key's event_id is a UUID (DESIGN.md §4: UUIDv7); canonical text form, any version. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const KAFKAJS_DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/**
 * How long the broker holds a fetch open when no records are there (the Java client's
 * fetch.max.wait.ms default; kafkajs' own is 5000). A fetch with records returns at once either
 * way; this bounds how long stop() and a rebalance wait for an idle fetch to come back.
 */
export const FETCH_MAX_WAIT_MS = 500;

/**
 * How long stop() waits for kafkajs to finish the chunks in flight and leave the group. Against a
 * live broker that is a chunk's commit plus a fetch; beyond it the broker is away, leaving is
 * impossible, and the stop becomes a crash to the group (which stored offsets and dedupe rows
 * absorb).
 */
const STOP_TIMEOUT_MS = 10_000;

/**
 * Retries of the transactional producers. The broker answers CONCURRENT_TRANSACTIONS when a
 * transaction starts while the previous one's commit markers are still being written, which is
 * the normal case for back-to-back chunks of one partition; the Java client retries it after
 * 20 ms. The cluster-wide first retry (100 ms, doubling) would stall every such chunk.
 */
const TX_PRODUCER_RETRY = { initialRetryTime: 20, maxRetryTime: 5000, retries: Number.MAX_SAFE_INTEGER };

/**
 * kafkajs consumer fetch settings for a per-partition fetch size (none: kafkajs' defaults). Exported
 * so a baseline consumer (bench) can fetch exactly as the runtime does.
 */
export function fetchSizes(
  maxBytesPerPartition: number | undefined,
  partitions: number,
): { maxBytesPerPartition?: number; maxBytes?: number } {
  if (maxBytesPerPartition === undefined) return {};
  if (!Number.isInteger(maxBytesPerPartition) || maxBytesPerPartition < 1024)
    throw new Error(`maxBytesPerPartition must be an integer of at least 1024 bytes, got ${maxBytesPerPartition}`);
  return {
    maxBytesPerPartition,
    maxBytes: Math.max(KAFKAJS_DEFAULT_MAX_BYTES, maxBytesPerPartition * Math.max(1, partitions)),
  };
}

interface PoolEvents {
  on?: (event: 'error', listener: (err: Error) => void) => void;
  off?: (event: 'error', listener: (err: Error) => void) => void;
}

/**
 * Stores a group's next offset for a partition (parameter numbers of group, topic, partition and
 * offset). GREATEST: a slower former owner never moves it backwards.
 */
const upsertOffset = (group: number, topic: number, partition: number, offset: number) =>
  `INSERT INTO messaging_consumer_offsets (group_id, topic, partition, next_offset)
   VALUES ($${group}, $${topic}, $${partition}, $${offset})
   ON CONFLICT (group_id, topic, partition) DO UPDATE
     SET next_offset = GREATEST(messaging_consumer_offsets.next_offset, EXCLUDED.next_offset), updated_at = now()`;

/**
 * The query runner's pg client, for statements whose unique violation is an expected outcome
 * rather than one for TypeORM's error log (which would print every id of the chunk).
 */
const driverClient = (qr: QueryRunner) =>
  (qr as unknown as { databaseConnection: { query(sql: string, values: unknown[]): Promise<unknown> } })
    .databaseConnection;

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The exactly-once consumer (DESIGN.md §5, README: consumer). Nest-independent: the Nest
 * transport strategy and CLI tools (ledger rebuild) both drive this class.
 *
 * Per chunk of at most `maxBatchSize` records of one partition, one PostgreSQL transaction holds
 * the dedupe rows, the handlers' effects, the deferred flushes, the emitted events and the next
 * offset; Kafka's committed offset is written after it as a hint. On assignment the consumer
 * seeks to the offsets stored in PostgreSQL and skips anything below them.
 */
export class ExactlyOnceConsumer {
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private readonly kafka: Kafka;
  private verified?: VerifiedSend;
  private readonly mode: ConsumerMode;
  private readonly maxBatchSize: number;
  private readonly instanceId: string;
  private readonly accepted?: ReadonlySet<string>;
  /** `accepted` as header bytes: the type filter never decodes a header it passes over. */
  private readonly acceptedHeader?: HeaderValueSet;
  private readonly metrics?: ConsumerMetrics;
  private readonly profile?: PhaseProfile;
  private readonly gate: StatementGate;
  private readonly combine: boolean;
  private readonly waitingJobs: CombinedJob[] = [];
  private combineScheduled = false;
  /** Database mode: the latest offset hint per partition, sent every HINT_INTERVAL_MS. */
  private readonly pendingHints = new Map<string, { topic: string; partition: number; offset: string }>();
  private hintTimer?: ReturnType<typeof setTimeout>;
  /** Partitions of the current assignment (GROUP_JOIN): hints only ever go out for these. */
  private assigned = new Set<string>();
  private lastTurn: Promise<void> = Promise.resolve();
  /** pipelineFetches: the batch each partition is applying now (its queue's tail). */
  private readonly applying = new Map<string, Promise<void>>();
  /** End of the current fetch cycle's floor (lingerMs): every batch of the fetch waits for it. */
  private cycleEndsAt = 0;
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly txProducers = new Map<string, Promise<Producer>>();
  /** Next offset per owned partition, as stored in PostgreSQL (database mode). */
  private readonly positions = new Map<string, number>();
  private offsetsLoaded: Promise<void> = Promise.resolve();
  /** This group's key in messaging_groups, resolved once (again only if resolving failed). */
  private groupKeyLoaded?: Promise<number>;
  private endOffsets?: Map<string, PartitionEnd>;
  private stopping = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: ExactlyOnceConsumerOptions) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.mode = options.mode ?? 'database';
    if (options.dedupe === false && this.mode !== 'database')
      throw new Error('dedupe: false needs database mode (the stored offsets are the only record)');
    if (options.pipelineFetches && this.mode !== 'database')
      throw new Error('pipelineFetches needs database mode (the stored offsets are the truth)');
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
    this.instanceId = options.instanceId ?? randomUUID();
    if (options.acceptTypes) {
      this.accepted = new Set(options.acceptTypes);
      this.acceptedHeader = new HeaderValueSet(options.acceptTypes);
    }
    this.profile = options.profile;
    this.gate = new StatementGate(options.partitionsConsumedConcurrently ?? 1);
    this.combine = this.mode === 'database' && (options.combinePartitions ?? true);
    this.kafka = new Kafka({
      ...options.kafkaConfig,
      clientId: `${options.kafkaConfig.clientId ?? 'paystream'}-${options.group}`,
    });
    if (options.metrics) this.metrics = consumerMetrics(options.metrics);
    // A pool 'error' (an idle connection killed by the server) must never crash the process: the
    // next query gets a fresh connection and a failed one is retried as a transient error.
    this.pool()?.on?.('error', this.onPoolError);
  }

  private readonly onPoolError = (err: Error) => this.log('warn', 'postgres pool error', { error: err.message });

  private pool(): PoolEvents | undefined {
    return (this.options.dataSource.driver as unknown as { master?: PoolEvents }).master;
  }

  private get group(): string {
    return this.options.group;
  }

  private log(level: 'log' | 'warn' | 'error' | 'debug', msg: string, fields: Record<string, unknown> = {}): void {
    this.options.logger?.event(level, msg, { component: 'exactly-once-consumer', group: this.group, ...fields });
  }

  async start(): Promise<void> {
    await this.groupKey();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await this.ensureDeadLetterTopics(admin);
      if (this.options.stopAtEndOffsets) await this.takeEndOffsets(admin);
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.producer.connect();

    const consumer = this.kafka.consumer({
      groupId: this.group,
      allowAutoTopicCreation: false,
      // read_committed: outputs of aborted Kafka transactions are never seen.
      readUncommitted: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 10)),
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      ...(this.options.partitionAssigners ? { partitionAssigners: this.options.partitionAssigners } : {}),
      ...fetchSizes(this.options.maxBytesPerPartition, this.options.partitionsConsumedConcurrently ?? 1),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e: ConsumerGroupJoinEvent) => {
      this.positions.clear();
      this.pendingHints.clear();
      this.assigned = new Set(
        Object.entries(e.payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => partitionKey(t, p))),
      );
      this.offsetsLoaded = this.seekToStoredOffsets(e.payload.memberAssignment).catch((err: unknown) => {
        // eachBatch loads them again before it processes anything.
        this.log('warn', 'could not load stored offsets on join', { error: String(err) });
      });
      this.options.onAssigned?.(e.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (e: ConsumerCrashEvent) => {
      this.log('error', 'kafka consumer crashed', { error: e.payload.error.message, restart: e.payload.restart });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // One more partition than may run statements at once: its chunk decodes, or commits, while
      // the others hold the statement gate (StatementGate: never two handlers more than asked for).
      // Combining: every partition of a fetch in flight, so their chunks can share a transaction.
      partitionsConsumedConcurrently: Math.max(
        (this.options.partitionsConsumedConcurrently ?? 1) + 1,
        this.combine ? COMBINED_BATCHES_IN_FLIGHT : 0,
      ),
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.log('log', 'consumer started', { topics: this.options.topics, mode: this.mode, instance: this.instanceId });
  }

  /**
   * Finishes or rolls back the chunks in flight, leaves the group (its partitions move to the other
   * members at once, not after the session timeout) and closes the producers together.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    await this.flushHints();
    // kafkajs waits for the fetch in flight and the eachBatch calls in flight, then sends LeaveGroup.
    if (!(await settlesWithin(this.consumer?.disconnect(), STOP_TIMEOUT_MS))) {
      this.log('warn', 'consumer stopped without leaving its group (broker unreachable?)');
    }
    // pipelineFetches: batches still queued see the consumer stopping and give up.
    await settlesWithin(Promise.all(this.applying.values()), STOP_TIMEOUT_MS);
    const txProducers = [...this.txProducers.values()];
    this.txProducers.clear();
    // Only now: a chunk in flight may still have been committing through them.
    await Promise.all([
      this.producer?.disconnect().catch(() => undefined),
      ...txProducers.map(async (p) => (await p.catch(() => undefined))?.disconnect().catch(() => undefined)),
      this.verified?.close(),
    ]);
    // Several consumers may share one DataSource (tools, benchmarks): leave its pool as found.
    this.pool()?.off?.('error', this.onPoolError);
    this.log('log', 'consumer stopped');
  }

  private async ensureDeadLetterTopics(admin: Admin): Promise<void> {
    const existing = new Set(await admin.listTopics());
    const missing = this.options.topics.map((t) => dlqTopic(t, this.group)).filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: 1 })),
        });
        return;
      } catch (err) {
        // Another instance of the group may have created it first.
        if (/already exists/i.test(String(err))) return;
        // Created, but the broker's metadata did not list it yet when kafkajs waited for its
        // leader (seen on a busy broker as UNKNOWN_TOPIC_OR_PARTITION): look again shortly.
        if (attempt >= 5 || !/does not host this topic-partition/i.test(String(err))) throw err;
        await sleep(backoffDelay(attempt, 200, 2000), this.abort.signal);
        const now = new Set(await admin.listTopics());
        if (missing.every((t) => now.has(t))) return;
      }
    }
  }

  private async takeEndOffsets(admin: Admin): Promise<void> {
    const ends = new Map<string, PartitionEnd>();
    const starts = new Map<string, number>();
    const given = this.options.endOffsets;
    for (const topic of this.options.topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const key = partitionKey(topic, p.partition);
        if (!given) ends.set(key, { topic, partition: p.partition, offset: Number(p.high) });
        starts.set(key, Number(p.low));
      }
    }
    for (const end of given ?? []) ends.set(partitionKey(end.topic, end.partition), { ...end });
    if (this.mode === 'database') {
      for (const row of await this.storedOffsets(this.options.topics)) {
        starts.set(partitionKey(row.topic, row.partition), Number(row.next_offset));
      }
    }
    this.endOffsets = ends;
    for (const [key, start] of starts) {
      const end = ends.get(key);
      if (end && start >= end.offset) this.reached(end.topic, end.partition, start);
    }
    this.checkFinished();
  }

  private checkFinished(): void {
    if (this.endOffsets && this.endOffsets.size === 0) this.resolveFinished();
  }

  /**
   * The group's small key for its dedupe rows (messaging_groups). Two statements, not one with a
   * CTE: an instance of the same group starting at the same time may insert the name first, and
   * only a statement started after its commit sees that row.
   */
  private groupKey(): Promise<number> {
    this.groupKeyLoaded ??= (async () => {
      const db = this.options.dataSource;
      await db.query(`INSERT INTO messaging_groups (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [this.group]);
      const rows: Array<{ group_key: number }> = await db.query(
        `SELECT group_key FROM messaging_groups WHERE name = $1`,
        [this.group],
      );
      if (rows.length !== 1) throw new Error(`messaging_groups has no row for group ${this.group}`);
      return rows[0].group_key;
    })();
    this.groupKeyLoaded.catch(() => (this.groupKeyLoaded = undefined));
    return this.groupKeyLoaded;
  }

  private storedOffsets(topics: string[]): Promise<Array<{ topic: string; partition: number; next_offset: string }>> {
    return this.options.dataSource.query(
      `SELECT topic, partition, next_offset FROM messaging_consumer_offsets WHERE group_id = $1 AND topic = ANY($2::text[])`,
      [this.group, topics],
    );
  }

  /** On assignment: PostgreSQL's offsets are the truth; Kafka's committed ones are a hint. */
  private async seekToStoredOffsets(assignment: Record<string, number[]>): Promise<void> {
    if (this.mode !== 'database') return;
    const rows = await this.storedOffsets(Object.keys(assignment));
    for (const row of rows) {
      if (!assignment[row.topic]?.includes(row.partition)) continue;
      this.positions.set(partitionKey(row.topic, row.partition), Number(row.next_offset));
      this.consumer?.seek({ topic: row.topic, partition: row.partition, offset: row.next_offset });
    }
  }

  private async position(topic: string, partition: number): Promise<number> {
    const key = partitionKey(topic, partition);
    await this.offsetsLoaded;
    let pos = this.positions.get(key);
    if (pos === undefined) {
      const rows: Array<{ next_offset: string }> = await this.options.dataSource.query(
        `SELECT next_offset FROM messaging_consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3`,
        [this.group, topic, partition],
      );
      pos = rows.length ? Number(rows[0].next_offset) : -1;
      this.positions.set(key, pos);
    }
    return pos;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    if (this.options.pipelineFetches) return this.queueBatch(payload);
    const linger = this.options.lingerMs ?? 0;
    if (linger <= 0) return this.applyBatch(payload);
    // The batches of one fetch start together and share one deadline; kafkajs fetches again
    // only when all of them have returned.
    const now = Date.now();
    if (now >= this.cycleEndsAt) this.cycleEndsAt = now + linger;
    const endsAt = this.cycleEndsAt;
    await this.applyBatch(payload);
    const rest = endsAt - Date.now();
    if (rest > 0 && !this.stopping) await sleep(rest, this.abort.signal);
  }

  /**
   * pipelineFetches: resolves the batch for kafkajs at once and applies it after the partition's
   * batch in progress; returns when that one is done, so kafkajs is always one fetch ahead.
   */
  private async queueBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const key = partitionKey(batch.topic, batch.partition);
    const previous = this.applying.get(key);
    const next = (previous ?? Promise.resolve()).then(() => this.applyBatch(payload, false));
    const tail = next.catch((err: unknown) => {
      this.log('warn', 'queued batch not applied; the partition is read again from its stored offset', {
        topic: batch.topic,
        partition: batch.partition,
        error: String(err),
      });
    });
    this.applying.set(key, tail);
    void tail.then(() => {
      if (this.applying.get(key) === tail) this.applying.delete(key);
    });
    if (batch.messages.length) payload.resolveOffset(batch.lastOffset());
    if (previous) await previous;
  }

  /** `resolve: false`: the batch was resolved for kafkajs already (pipelineFetches). */
  private async applyBatch(payload: EachBatchPayload, resolve = true): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const resolveOffset = (offset: string) => {
      if (resolve) payload.resolveOffset(offset);
    };
    const heartbeat = () => payload.heartbeat();
    const isRunning = () => payload.isRunning();
    const isStale = () => payload.isStale();
    const labels = { group: this.group, topic };
    const control: BatchControl = {
      isRunning: () => isRunning() && !this.stopping,
      isStale,
      heartbeat,
    };
    let floor = -1;
    if (this.mode === 'database') {
      const stored = await this.positionWithRetry(topic, partition, control);
      // Lost the partition or stopping while PostgreSQL was away: leave the batch unresolved.
      if (stored === undefined) return;
      floor = stored;
    }
    // Records below the stored offset were applied and committed already (the fetch started from
    // Kafka's older hint, or before the seek took effect).
    const records = batch.messages.filter((m) => Number(m.offset) >= floor);
    this.metrics?.consumed.inc(labels, records.length);
    if (records.length === 0) {
      if (batch.messages.length) resolveOffset(batch.lastOffset());
      return;
    }
    let committed: number | undefined;
    let ahead: Promise<DecodedChunk | undefined> | undefined;
    let next = records.slice(0, this.maxBatchSize);
    for (let i = 0; i < records.length; i += this.maxBatchSize) {
      if (!control.isRunning() || control.isStale()) break;
      const chunk = next;
      const nextOffset = Number(chunk[chunk.length - 1].offset) + 1;
      const started = process.hrtime.bigint();
      const decodedAhead = ahead;
      next = records.slice(i + this.maxBatchSize, i + 2 * this.maxBatchSize);
      ahead = next.length ? this.decodeAhead(topic, next) : undefined;
      const done = await this.processChunk(topic, partition, chunk, nextOffset, control, decodedAhead);
      if (!done) break;
      this.metrics?.batchSize.observe(labels, chunk.length);
      this.metrics?.batchSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      resolveOffset(chunk[chunk.length - 1].offset);
      this.positions.set(partitionKey(topic, partition), nextOffset);
      this.metrics?.lag.set(
        { ...labels, partition: String(partition) },
        Math.max(0, Number(batch.highWatermark) - nextOffset),
      );
      committed = nextOffset;
      this.reached(topic, partition, nextOffset);
      // A failed heartbeat means the group is rebalancing: leave the rest of the batch to
      // whoever owns the partition next instead of holding the rebalance up.
      const beat = this.now();
      const alive = await heartbeat().then(
        () => true,
        (err: unknown) => {
          this.log('debug', 'heartbeat failed; leaving the batch', { topic, partition, error: String(err) });
          return false;
        },
      );
      if (beat) this.profile?.add('kafka', beat);
      if (!alive) break;
    }
    if (committed !== undefined && this.mode === 'database' && control.isRunning() && !control.isStale()) {
      this.queueHint(topic, partition, committed);
    }
  }

  /**
   * A hint for tools that read Kafka's committed offsets (PostgreSQL holds the truth). Gathered
   * per partition and sent every HINT_INTERVAL_MS in one request, for the partitions of the
   * current assignment only (a rebalance drops what is pending). Not awaited by the batch; a
   * lost hint is only a stale one, and requests on one connection keep their order, so a
   * partition's hints never go backwards.
   */
  private queueHint(topic: string, partition: number, offset: number): void {
    this.pendingHints.set(partitionKey(topic, partition), { topic, partition, offset: String(offset) });
    if (this.hintTimer) return;
    this.hintTimer = setTimeout(() => void this.flushHints(), HINT_INTERVAL_MS);
    this.hintTimer.unref?.();
  }

  private async flushHints(): Promise<void> {
    if (this.hintTimer) clearTimeout(this.hintTimer);
    this.hintTimer = undefined;
    const hints = [...this.pendingHints].filter(([key]) => this.assigned.has(key)).map(([, h]) => h);
    this.pendingHints.clear();
    if (hints.length === 0 || !this.consumer) return;
    await this.consumer
      .commitOffsets(hints)
      .catch((err: unknown) => this.log('debug', 'offset hints not committed', { error: String(err) }));
  }

  private async positionWithRetry(
    topic: string,
    partition: number,
    control: BatchControl,
  ): Promise<number | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.position(topic, partition);
      } catch (err) {
        if (!control.isRunning() || control.isStale()) return undefined;
        this.log('warn', 'loading stored offset failed; retrying', { topic, partition, error: String(err) });
        await sleep(backoffDelay(attempt, 100, 5000), this.abort.signal);
        await control.heartbeat().catch(() => undefined);
      }
    }
  }

  private reached(topic: string, partition: number, nextOffset: number): void {
    const key = partitionKey(topic, partition);
    const end = this.endOffsets?.get(key);
    if (end !== undefined && nextOffset >= end.offset) {
      this.endOffsets!.delete(key);
      this.options.onEndReached?.(topic, partition);
      this.checkFinished();
    }
  }

  /**
   * Applies one chunk until it commits, retrying transient failures and moving permanent ones
   * to the DLQ. Returns false when it gave up because the consumer stops or lost the partition
   * (the transaction was rolled back; the next owner processes the chunk).
   */
  private async processChunk(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    nextOffset: number,
    control: BatchControl,
    decodedAhead?: Promise<DecodedChunk | undefined>,
  ): Promise<boolean> {
    const labels = { group: this.group, topic };
    const excluded = new Set<number>();
    const unknownAttempts = new Map<number, number>();
    let decoded: Decoded[] | undefined;
    let attempt = 0;
    for (;;) {
      if (!control.isRunning() || control.isStale()) return false;
      let live: Decoded[] = [];
      try {
        if (!decoded) {
          const since = this.now();
          const all =
            (attempt === 0 && (await decodedAhead)) || (await this.decodeAll(topic, partition, chunk, excluded));
          if (since) this.profile?.add('decode', since);
          decoded = all.decoded;
          if (all.skipped > 0) this.metrics?.skipped.inc(labels, all.skipped);
        }
        live = decoded.filter((d) => !excluded.has(d.index));
        const info: ChunkInfo = {
          topic,
          partition,
          firstOffset: chunk[0]?.offset ?? String(nextOffset),
          nextOffset: String(nextOffset),
          size: chunk.length,
        };
        const result = await this.runTransaction(topic, partition, live, nextOffset, info);
        try {
          if (this.mode === 'kafka-transaction') {
            const since = this.now();
            const committed = await this.commitKafkaTransaction(
              topic,
              partition,
              result.outputs,
              nextOffset,
              info,
              control,
            );
            if (since) this.profile?.add('commit', since);
            // Lost the partition: the next owner finds these events as duplicates and sends their
            // stored outputs with its own offsets.
            if (!committed) return false;
          } else {
            await this.options.hooks?.afterPgCommit?.(info);
          }
        } finally {
          result.endTurn();
        }
        this.metrics?.applied.inc(labels, result.applied);
        this.metrics?.duplicates.inc(labels, result.duplicates);
        return true;
      } catch (err) {
        const cause = err instanceof ChunkFailure ? err.cause : err;
        const failure = classifyError(cause);
        if (failure.kind === 'unknown') this.metrics?.unknownErrors.inc(labels);
        const culprit =
          err instanceof ChunkFailure && err.index !== undefined
            ? err.index
            : failure.kind !== 'transient' && live.length === 1
              ? live[0].index
              : undefined;
        if (failure.kind !== 'transient' && culprit === undefined && live.length > 1) {
          // A failure no single record can be blamed for (a deferred multi-row flush): isolate
          // the culprit by applying the records one per transaction.
          this.log('warn', 'chunk failed outside a handler; applying one record at a time', {
            topic,
            partition,
            ...failure,
          });
          return this.processOneByOne(topic, partition, chunk, live, nextOffset, control);
        }
        if (culprit !== undefined) {
          const tries = (unknownAttempts.get(culprit) ?? 0) + 1;
          unknownAttempts.set(culprit, tries);
          if (failure.kind === 'permanent' || (failure.kind === 'unknown' && tries >= UNKNOWN_ERROR_ATTEMPTS)) {
            const d = decoded?.find((x) => x.index === culprit);
            const sent = await this.deadLetter(topic, partition, chunk[culprit], failure, d?.eventId, control);
            if (!sent) return false;
            excluded.add(culprit);
            continue;
          }
        }
        attempt++;
        this.metrics?.retries.inc(labels);
        this.log(attempt > 3 ? 'warn' : 'debug', 'chunk rolled back; retrying', {
          topic,
          partition,
          attempt,
          firstOffset: chunk[0]?.offset,
          ...failure,
        });
        await sleep(backoffDelay(attempt, 100, 10_000), this.abort.signal);
        await control.heartbeat().catch(() => undefined);
      }
    }
  }

  private async processOneByOne(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    live: Decoded[],
    nextOffset: number,
    control: BatchControl,
  ): Promise<boolean> {
    for (const d of live) {
      const ok = await this.processChunk(topic, partition, [d.message], Number(d.message.offset) + 1, control);
      if (!ok) return false;
    }
    // The chunk's last records may have gone to the DLQ: move the offset past the whole chunk.
    const last = chunk[chunk.length - 1];
    if (live.length > 0 && live[live.length - 1].message === last) return true;
    return this.processChunk(topic, partition, [], nextOffset, control);
  }

  /**
   * Decodes every record the group accepts; undecodable or schema-invalid ones go to the DLQ right
   * away. Records of types the group does not accept (acceptTypes) are left out: `skipped`.
   */
  private async decodeAll(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    excluded: Set<number>,
  ): Promise<DecodedChunk> {
    const out: Decoded[] = [];
    let skipped = 0;
    for (let index = 0; index < chunk.length; index++) {
      if (excluded.has(index)) continue;
      const message = chunk[index];
      if (this.passesOver(message)) {
        skipped++;
        continue;
      }
      try {
        const event = this.decodeLoaded(topic, message) ?? (await this.options.codec.decode(topic, message.value!));
        const one = this.checked(index, message, event);
        if (one === 'skip') skipped++;
        else out.push(one);
      } catch (err) {
        const failure = classifyError(err);
        if (failure.kind !== 'permanent') throw err;
        const sent = await this.deadLetter(
          topic,
          partition,
          message,
          failure,
          headerString(message.headers, 'eventId'),
        );
        if (!sent) throw err;
        excluded.add(index);
      }
    }
    return { decoded: out, skipped };
  }

  /**
   * The type header (DESIGN.md §4) lets a group pass over what it never handles without paying for
   * the decode; the offset still moves with the chunk's transaction. A record without the header
   * (or with an empty one) is decoded and judged by its body's type.
   */
  private passesOver(message: KafkaMessage): boolean {
    if (!this.acceptedHeader) return false;
    // A record of the runtime's decoder answers from its bytes, leaving the rest undecoded.
    const first = headerBytes(message, 'type');
    return first !== undefined && first !== null && first.length > 0 && !this.acceptedHeader.has(first);
  }

  /** The record's event when its writer schema is loaded already; undefined when decode() must fetch it. */
  private decodeLoaded(topic: string, message: KafkaMessage): AnyEvent | undefined {
    if (!message.value) throw new PermanentError('UNDECODABLE', 'record has no value');
    return this.options.codec.decodeCached?.(topic, message.value);
  }

  /** A decoded event as a chunk holds it, or 'skip' when this group does not handle its type. */
  private checked(index: number, message: KafkaMessage, event: AnyEvent): Decoded | 'skip' {
    if (this.accepted && !this.accepted.has(event.type)) return 'skip';
    const eventId = event.eventId || headerString(message.headers, 'eventId');
    if (!eventId) throw new PermanentError('SCHEMA_INVALID', 'event has no eventId');
    // The dedupe row's event_id is a UUID column: anything else could never get one.
    if (!UUID.test(eventId))
      throw new PermanentError('SCHEMA_INVALID', `eventId is not a UUID: ${eventId.slice(0, 100)}`);
    return { index, message, event, eventId, dedupeId: eventId.toLowerCase() };
  }

  /**
   * Decode-ahead: decodes the next chunk of a batch while this one's transaction waits for
   * PostgreSQL (the decode needs no database). Runs at the event loop's next turn, which comes
   * when the current chunk waits for I/O. Gives up (undefined) on anything that needs the full
   * path: a writer schema not loaded yet, or a record that fails to decode; the chunk's own pass
   * then decodes it again and sends the culprit to the DLQ.
   */
  private decodeAhead(topic: string, chunk: KafkaMessage[]): Promise<DecodedChunk | undefined> {
    return new Promise((resolve) =>
      setImmediate(() => {
        const decoded: Decoded[] = [];
        let skipped = 0;
        try {
          for (let index = 0; index < chunk.length; index++) {
            const message = chunk[index];
            if (this.passesOver(message)) {
              skipped++;
              continue;
            }
            const event = this.decodeLoaded(topic, message);
            if (!event) return resolve(undefined);
            const one = this.checked(index, message, event);
            if (one === 'skip') skipped++;
            else decoded.push(one);
          }
        } catch {
          return resolve(undefined);
        }
        resolve({ decoded, skipped });
      }),
    );
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    failure: ReturnType<typeof classifyError>,
    eventId: string | undefined,
    control?: BatchControl,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const dlq = await sendToDeadLetter(this.producer!, {
          topic,
          partition,
          message,
          group: this.group,
          failure,
          eventId,
        });
        this.metrics?.dlq.inc({ group: this.group, topic });
        this.log('error', 'record sent to the dead-letter topic', {
          dlq,
          topic,
          partition,
          offset: message.offset,
          eventId,
          ...failure,
        });
        return true;
      } catch (err) {
        if (this.stopping || (control && (!control.isRunning() || control.isStale()))) return false;
        this.log('warn', 'dead-letter send failed; retrying', { attempt, error: String(err) });
        await sleep(backoffDelay(attempt, 200, 10_000), this.abort.signal);
      }
    }
  }

  /** The chunk's transaction: a combined one when chunks of other partitions are ready too. */
  private async runTransaction(
    topic: string,
    partition: number,
    live: Decoded[],
    nextOffset: number,
    info: ChunkInfo,
  ): Promise<TxResult> {
    if (this.combine) {
      const combined = await new Promise<TxResult | undefined>((resolve) => {
        this.waitingJobs.push({ topic, partition, live, nextOffset, info, resolve });
        this.scheduleCombined();
      });
      if (combined) return combined;
    }
    return this.runOwnTransaction(topic, partition, live, nextOffset, info);
  }

  /**
   * Starts a combiner once the current burst of ready chunks is queued: kafkajs hands a fetch's
   * batches to eachBatch within one turn of the event loop, so `setImmediate` sees them all.
   */
  private scheduleCombined(): void {
    if (this.combineScheduled) return;
    this.combineScheduled = true;
    setImmediate(() => {
      this.combineScheduled = false;
      void this.runCombined();
    });
  }

  /**
   * One PostgreSQL transaction for every chunk queued when this combiner gets a statement permit
   * (README: combined transactions). Chunks of one partition never meet in it (a partition's
   * next chunk waits for the previous one's result), each chunk's records keep their order, and
   * every chunk's dedupe rows and next offset are in it, so it commits or rolls back as a whole.
   * Any failure - a handler's, a duplicate (unique violation), the connection - rolls it back and
   * hands every chunk back to run alone, where the usual retry, duplicate and DLQ handling
   * applies; a lone chunk runs alone straight away.
   */
  private async runCombined(): Promise<void> {
    const release = await this.gate.acquire();
    const jobs = this.waitingJobs.splice(0);
    if (jobs.length <= 1) {
      release();
      for (const job of jobs) job.resolve(undefined);
      return;
    }
    const qr = this.options.dataSource.createQueryRunner();
    const p = this.profile;
    let t = this.now();
    let endTurn: (() => void) | undefined;
    try {
      // Cached since start(). Inside the try: should it fail, the chunks run alone and retry it there.
      const groupKey = await this.groupKey();
      await qr.connect();
      await qr.startTransaction();
      if (p) t = p.add('begin', t);
      const scope = new ChunkScope(
        qr.manager,
        this.options.codec,
        false,
        jobs.flatMap((job) => job.live.map((d) => d.event)),
      );
      const counts: Array<{ applied: number; duplicates: number }> = [];
      const fresh = await this.insertCombinedDedupeRows(qr, groupKey, jobs);
      if (p) t = p.add('dedupe', t);
      for (const job of jobs) {
        let applied = 0;
        for (const d of job.live) {
          if (!fresh.delete(d.dedupeId)) continue;
          await this.handle(d, job.topic, job.partition, scope);
          applied++;
        }
        counts.push({ applied, duplicates: job.live.length - applied });
      }
      if (p) t = p.add('handlers', t);
      await scope.runFlushes();
      await insertOutboxRows(qr.manager, scope.emitted);
      if (p) t = p.add('flush', t);
      endTurn = await this.commitTurn();
      for (const job of jobs) await this.options.hooks?.beforePgCommit?.(job.info);
      release();
      await qr.commitTransaction();
      if (p) p.add('commit', t);
      // The turn ends once every chunk has run its after-commit step.
      let open = jobs.length;
      const end = endTurn;
      jobs.forEach((job, i) => {
        let ended = false;
        const endOne = () => {
          if (ended) return;
          ended = true;
          if (--open === 0) end();
        };
        job.resolve({ ...counts[i], outputs: [], endTurn: endOne });
      });
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      endTurn?.();
      if (!(err instanceof CombinedConflict)) {
        this.log('debug', 'combined transaction failed; its chunks run alone', {
          chunks: jobs.length,
          error: String(err),
        });
      }
      for (const job of jobs) job.resolve(undefined);
    } finally {
      release();
      await qr.release().catch(() => undefined);
    }
  }

  private async runOwnTransaction(
    topic: string,
    partition: number,
    live: Decoded[],
    nextOffset: number,
    info: ChunkInfo,
  ): Promise<TxResult> {
    // Cached since start(); a failure (PostgreSQL away) is a transient one, retried with the chunk.
    const groupKey = await this.groupKey();
    const qr = this.options.dataSource.createQueryRunner();
    let index: number | undefined;
    const p = this.profile;
    let release = () => {};
    let endTurn: (() => void) | undefined;
    let t = this.now();
    try {
      // Checkout and BEGIN before the gate: an open transaction that has run nothing holds no
      // locks, and its round trip overlaps the statements of the transaction holding the gate.
      await qr.connect();
      await qr.startTransaction();
      if (p) t = p.add('begin', t);
      release = await this.gate.acquire();
      if (p) t = this.now();
      const scope = new ChunkScope(
        qr.manager,
        this.options.codec,
        this.mode === 'kafka-transaction',
        live.map((d) => d.event),
      );
      const fresh = await this.insertDedupeRows(qr, groupKey, live, topic, partition, nextOffset);
      if (p) t = p.add('dedupe', t);
      const order: Array<{ d: Decoded; isNew: boolean }> = [];
      let applied = 0;
      for (const d of live) {
        // delete: a second copy of the same event in one chunk is a duplicate too.
        const isNew = fresh.delete(d.dedupeId);
        order.push({ d, isNew });
        if (!isNew) continue;
        index = d.index;
        await this.handle(d, topic, partition, scope);
        applied++;
      }
      index = undefined;
      if (p) t = p.add('handlers', t);
      await scope.runFlushes();
      let outputs: TxResult['outputs'] = [];
      if (this.mode === 'database') {
        await insertOutboxRows(qr.manager, scope.emitted);
      } else {
        outputs = await this.storeAndCollectOutputs(qr, order, scope.emitted);
      }
      if (p) t = p.add('flush', t);
      endTurn = await this.commitTurn();
      await this.options.hooks?.beforePgCommit?.(info);
      release();
      await qr.commitTransaction();
      if (p) p.add('commit', t);
      return { applied, duplicates: live.length - applied, outputs, endTurn };
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      endTurn?.();
      throw new ChunkFailure(err, index);
    } finally {
      release();
      await qr.release().catch(() => undefined);
    }
  }

  /**
   * Writes the chunk's dedupe rows (and, in database mode, its next offset) and returns the
   * eventIds that are new for this group. The primary key (group, eventId) decides: a concurrent
   * owner of the same partition during a rebalance waits for our commit and then sees duplicates.
   *
   * Duplicates are rare (a relay that crashed between publish and mark, a rebalance), so the
   * first try is a plain multi-row INSERT, about a third cheaper for PostgreSQL than
   * `ON CONFLICT DO NOTHING RETURNING` and with nothing to send back. A unique violation (23505)
   * means some row exists already: the transaction, which has run nothing else yet, is rolled
   * back and the conflict-aware statement tells which events are new. A second copy of one
   * eventId within the chunk is left out of the statement and counts as a duplicate (`fresh` has
   * it once).
   *
   * The offset is upserted in the same statement (one round trip less per chunk); it commits or
   * rolls back with everything else. GREATEST: a slower former owner never moves it backwards.
   */
  private async insertDedupeRows(
    qr: QueryRunner,
    groupKey: number,
    live: Decoded[],
    topic: string,
    partition: number,
    nextOffset: number,
  ): Promise<Set<string>> {
    const ids = [...new Set(live.map((d) => d.dedupeId))];
    const withOffset = this.mode === 'database';
    if (this.options.dedupe === false) {
      // Every event counts as new; only the offset is stored (ExactlyOnceConsumerOptions.dedupe).
      await qr.query(upsertOffset(1, 2, 3, 4), [this.group, topic, partition, nextOffset]);
      return new Set(ids);
    }
    if (!withOffset && ids.length === 0) return new Set();
    const position = withOffset ? `WITH position AS (${upsertOffset(6, 3, 4, 5)})` : '';
    const params = withOffset ? [groupKey, ids, topic, partition, nextOffset, this.group] : [groupKey, ids];
    const insert = `${position} INSERT INTO messaging_processed_events (group_key, event_id) SELECT $1, unnest($2::uuid[])`;
    const client = driverClient(qr);
    try {
      await client.query(insert, params);
      return new Set(ids);
    } catch (err) {
      if (errorCode(err) !== UNIQUE_VIOLATION) throw err;
    }
    await qr.rollbackTransaction();
    await qr.startTransaction();
    const rows = (await qr.query(`${insert} ON CONFLICT DO NOTHING RETURNING event_id`, params)) as Array<{
      event_id: string;
    }>;
    return new Set(rows.map((r) => r.event_id));
  }

  /**
   * The combined transaction's dedupe rows and next offsets, for every chunk in one statement
   * (insertDedupeRows does it per chunk): one round trip per fetch instead of one per partition.
   * The chunks are of different partitions, so no offset row is upserted twice. A unique violation
   * means some event was applied before: CombinedConflict, and each chunk runs alone, where the
   * conflict-aware statement sorts new from duplicate. Returns the eventIds to apply (a second
   * copy of one eventId is in the set once, so it counts as a duplicate).
   */
  private async insertCombinedDedupeRows(qr: QueryRunner, groupKey: number, jobs: CombinedJob[]): Promise<Set<string>> {
    const ids = [...new Set(jobs.flatMap((job) => job.live.map((d) => d.dedupeId)))];
    const offsets = [jobs.map((job) => job.topic), jobs.map((job) => job.partition), jobs.map((job) => job.nextOffset)];
    const position = `INSERT INTO messaging_consumer_offsets (group_id, topic, partition, next_offset)
      SELECT $1, u.topic, u.partition, u.next_offset
        FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS u(topic, partition, next_offset)
      ON CONFLICT (group_id, topic, partition) DO UPDATE
        SET next_offset = GREATEST(messaging_consumer_offsets.next_offset, EXCLUDED.next_offset), updated_at = now()`;
    const client = driverClient(qr);
    if (this.options.dedupe === false) {
      await client.query(position, [this.group, ...offsets]);
      return new Set(ids);
    }
    try {
      await client.query(
        `WITH position AS (${position})
         INSERT INTO messaging_processed_events (group_key, event_id) SELECT $5, unnest($6::uuid[])`,
        [this.group, ...offsets, groupKey, ids],
      );
    } catch (err) {
      if (errorCode(err) === UNIQUE_VIOLATION) throw new CombinedConflict('duplicate in a combined transaction');
      throw err;
    }
    return new Set(ids);
  }

  /**
   * Commits happen one after the other, in gate order: a chunk holding the gate waits here for the
   * previous chunk's commit to be complete (PostgreSQL COMMIT, the Kafka transaction in that mode,
   * the hooks) before it commits itself. Its statements still overlapped that commit; the order
   * keeps each chunk's beforePgCommit … afterPgCommit span whole, as with one partition at a time.
   * A turn ends on failure too (the chunk retries later, taking the gate again), so it can never
   * wait on a chunk that waits for the gate.
   */
  private async commitTurn(): Promise<() => void> {
    const previous = this.lastTurn;
    let end!: () => void;
    this.lastTurn = new Promise<void>((resolve) => (end = resolve));
    await previous;
    return end;
  }

  /** Runs the group's handler for one new event, in its correlation id's logging scope. */
  private handle(d: Decoded, topic: string, partition: number, scope: ChunkScope): Promise<void> {
    return withCorrelationId(d.event.correlationId || undefined, () =>
      this.options.handler(d.event, this.context(d, topic, partition, scope)),
    );
  }

  /** A timestamp for the profile, or 0n (falsy) when there is none. */
  private now(): bigint {
    return this.profile ? process.hrtime.bigint() : 0n;
  }

  private context(d: Decoded, topic: string, partition: number, scope: ChunkScope): ExactlyOnceContext {
    const origin: EventOrigin = { topic, partition, offset: d.message.offset, group: this.group };
    const heartbeat = () => Promise.resolve();
    const args = [
      d.message,
      partition,
      topic,
      this.consumer,
      heartbeat,
      this.producer,
    ] as unknown as ConstructorParameters<typeof ExactlyOnceContext>[0];
    return new ExactlyOnceContext(args, origin, scope, d.eventId, headerString(d.message.headers, 'traceparent'));
  }

  /**
   * kafka-transaction mode: stores what new events emitted (same transaction as their dedupe
   * rows) and loads what duplicates emitted before, so both go out in the Kafka transaction.
   */
  private async storeAndCollectOutputs(
    qr: QueryRunner,
    order: Array<{ d: Decoded; isNew: boolean }>,
    emitted: EmittedRecord[],
  ): Promise<TxResult['outputs']> {
    // Keyed by the dedupe spelling (lower case), as the dedupe rows are: a redelivery that spells
    // the UUID otherwise is the same event and finds the same outputs.
    const source = (e: EmittedRecord) => e.sourceEventId.toLowerCase();
    if (emitted.length > 0) {
      const seq = new Map<string, number>();
      const seqs = emitted.map((e) => {
        const n = seq.get(source(e)) ?? 0;
        seq.set(source(e), n + 1);
        return n;
      });
      await qr.query(
        `INSERT INTO messaging_stored_outputs (group_id, source_event_id, seq, topic, key, event_id, payload, headers)
         SELECT $1, * FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])`,
        [
          this.group,
          emitted.map(source),
          seqs,
          emitted.map((e) => e.topic),
          emitted.map((e) => e.key),
          emitted.map((e) => e.event.eventId),
          emitted.map((e) => JSON.stringify(e.event)),
          emitted.map((e) => JSON.stringify(e.headers)),
        ],
      );
    }
    const duplicateIds = order.filter((o) => !o.isNew).map((o) => o.d.dedupeId);
    const stored = new Map<string, Array<{ topic: string; message: Message }>>();
    if (duplicateIds.length > 0) {
      const rows = (await qr.query(
        `SELECT source_event_id, topic, key, payload, headers FROM messaging_stored_outputs
            WHERE group_id = $1 AND source_event_id = ANY($2::text[])
            ORDER BY source_event_id, seq`,
        [this.group, duplicateIds],
      )) as Array<{ source_event_id: string; topic: string; key: string; payload: AnyEvent; headers: object }>;
      for (const row of rows) {
        const value = await this.options.codec.encode(row.topic, row.payload);
        const list = stored.get(row.source_event_id) ?? [];
        list.push({ topic: row.topic, message: { key: row.key, value, headers: toKafkaHeaders(row.headers) } });
        stored.set(row.source_event_id, list);
      }
    }
    const bySource = new Map<string, Array<{ topic: string; message: Message }>>();
    for (const e of emitted) {
      const list = bySource.get(source(e)) ?? [];
      list.push({
        topic: e.topic,
        message: { key: e.key, value: e.value ?? null, headers: toKafkaHeaders(e.headers) },
      });
      bySource.set(source(e), list);
    }
    // Outputs in the order of the records that caused them: per-key order follows input order.
    const outputs: TxResult['outputs'] = [];
    const seen = new Set<string>();
    for (const { d, isNew } of order) {
      if (seen.has(d.dedupeId)) continue;
      seen.add(d.dedupeId);
      outputs.push(...((isNew ? bySource : stored).get(d.dedupeId) ?? []));
    }
    return outputs;
  }

  /**
   * One transactional producer per input partition, with a transactional.id derived from the
   * group, topic and partition: whoever owns the partition next uses the same id, so its
   * initTransactions fences this instance and aborts its open transaction (the pre-KIP-447
   * approach; kafkajs has no group-metadata fencing, README).
   */
  private txProducer(topic: string, partition: number): Promise<Producer> {
    const key = partitionKey(topic, partition);
    let p = this.txProducers.get(key);
    if (!p) {
      const producer = this.kafka.producer({
        transactionalId: `${this.group}-${topic}-${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 30_000,
        allowAutoTopicCreation: false,
        retry: TX_PRODUCER_RETRY,
      });
      p = producer.connect().then(() => producer);
      p.catch(() => this.txProducers.delete(key));
      this.txProducers.set(key, p);
    }
    return p;
  }

  private async dropTxProducer(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition);
    const p = this.txProducers.get(key);
    this.txProducers.delete(key);
    const producer = await p?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  private async commitKafkaTransaction(
    topic: string,
    partition: number,
    outputs: TxResult['outputs'],
    nextOffset: number,
    info: ChunkInfo,
    control: BatchControl,
  ): Promise<boolean> {
    // kafkajs cannot fence by group generation (no KIP-447): never send offsets for a partition
    // this member no longer owns, or a zombie could move the group's position backwards. (A
    // member that is shutting down still owns its partitions and finishes the chunk.)
    const owned = () => !control.isStale();
    if (!owned()) return false;
    let producer: Producer;
    try {
      producer = await this.txProducer(topic, partition);
    } catch (err) {
      await this.dropTxProducer(topic, partition);
      throw err;
    }
    const tx = await producer.transaction();
    try {
      if (outputs.length > 0) {
        const byTopic = new Map<string, Message[]>();
        for (const o of outputs) {
          const list = byTopic.get(o.topic) ?? [];
          list.push(o.message);
          byTopic.set(o.topic, list);
        }
        // Explicit partitions, and every targeted partition must be acknowledged before the
        // offsets join the transaction: see VerifiedSend (kafkajs failover loss).
        this.verified ??= new VerifiedSend(this.kafka);
        const { topicMessages, targets } = await this.verified.assign(
          [...byTopic].map(([t, messages]) => ({ topic: t, messages })),
        );
        VerifiedSend.verify(targets, await tx.sendBatch({ acks: -1, topicMessages }));
      }
      await tx.sendOffsets({
        consumerGroupId: this.group,
        topics: [{ topic, partitions: [{ partition, offset: String(nextOffset) }] }],
      });
      await this.options.hooks?.afterPgCommit?.(info);
      if (!owned()) {
        await tx.abort();
        return false;
      }
      await tx.commit();
      return true;
    } catch (err) {
      await tx.abort().catch(() => undefined);
      this.verified?.invalidate();
      await this.dropTxProducer(topic, partition);
      throw err;
    }
  }
}
