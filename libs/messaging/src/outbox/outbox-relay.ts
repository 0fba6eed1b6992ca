import '../kafkajs-request-queue.patch';
import '../kafkajs-coordinator-cache.patch';
import { VerifiedSend } from '../verified-send';
import { OutboxSignal } from './outbox-signal';
import type { JsonLogger, Metrics } from '@paystream/observability';
import { Kafka, KafkaConfig, Message, Producer } from 'kafkajs';
import { Client, ClientConfig, Notification } from 'pg';
import type { DataSource } from 'typeorm';
import type { AnyEvent } from '@paystream/contracts';
import { backoffDelay, classifyError, settlesWithin, sleep, untilAborted } from '../failure';
import { toKafkaHeaders } from '../headers';
import { RelayMetrics, relayMetrics } from '../messaging-metrics';
import type { EventCodec } from '../ports';
import { OUTBOX_CHANNEL } from './outbox-rows';

export interface OutboxRelayOptions {
  dataSource: DataSource;
  kafkaConfig: KafkaConfig;
  codec: EventCodec;
  logger?: Pick<JsonLogger, 'event'>;
  metrics?: Metrics;
  /** Rows per publish (one sendBatch, one UPDATE). Default 500. */
  batchSize?: number;
  /** Fallback poll for rows no in-process signal announced (other instances, a transaction that
   *  committed while an older one was open). Default 250 ms. */
  pollIntervalMs?: number;
  /**
   * Shortest publish round in milliseconds (README: outbox relay). A commit that arrives sooner
   * after the previous round started waits for the rest, so the commits of that interval go out
   * in one SELECT, one produce request and one UPDATE. The first commit after a quiet spell is
   * published at once. Default 0 (none).
   */
  lingerMs?: number;
  /** How often a standby relay tries to take the lead. Default 2000 ms. */
  standbyIntervalMs?: number;
  /** Sent rows older than this are deleted. Default 7 days. */
  retentionMs?: number;
  cleanupIntervalMs?: number;
  /** Advisory lock key of the leadership (one relay per database). */
  lockKey?: number;
  /** Fault-injection points for the crash tests (not for production code). */
  hooks?: { afterPublish?: (ids: string[]) => Promise<void> | void };
}

interface PendingRow {
  id: string;
  topic: string;
  key: string;
  event_id: string;
  payload: AnyEvent;
  headers: Record<string, string>;
}

const DEFAULT_LOCK_KEY = 7_245_100;

/**
 * How long stop() lets a publish round in flight finish (then its rows are marked sent). A round
 * against a live broker takes milliseconds; one against an unreachable broker would retry for
 * tens of seconds.
 */
const STOP_GRACE_MS = 2000;

/**
 * Publishes committed outbox rows to Kafka in id order (README: outbox relay).
 *
 * - Leadership: a session advisory lock on a dedicated connection; only its holder publishes, and
 *   it reads and marks rows through that same connection, so a relay whose session died can no
 *   longer mark anything while a new leader takes over.
 * - Commit-order gap: only rows whose writing transaction is older than every transaction still
 *   running (`txid < pg_snapshot_xmin(pg_current_snapshot())`) are eligible; a row with a lower id
 *   whose transaction commits late is therefore never overtaken by a higher id.
 * - Publish then mark: a crash in between publishes the rows again with the same eventIds;
 *   consumers dedupe on (group, eventId).
 */
export class OutboxRelay {
  private readonly kafka: Kafka;
  private readonly verified: VerifiedSend;
  private readonly batchSize: number;
  private readonly metrics?: RelayMetrics;
  private producer?: Producer;
  private client?: Client;
  private leader = false;
  private running = false;
  private loop?: Promise<void>;
  private abort = new AbortController();
  private wake?: () => void;
  private woken = false;
  private lastCleanup = 0;
  private lastPendingCount = 0;
  private lastRoundAt = 0;
  private stopListening?: () => void;

  constructor(private readonly options: OutboxRelayOptions) {
    this.kafka = new Kafka({
      ...options.kafkaConfig,
      clientId: `${options.kafkaConfig.clientId ?? 'paystream'}-relay`,
    });
    this.verified = new VerifiedSend(this.kafka);
    this.batchSize = options.batchSize ?? 500;
    if (options.metrics) this.metrics = relayMetrics(options.metrics);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.abort = new AbortController();
    this.stopListening = OutboxSignal.for(this.options.dataSource).onCommitted(() => this.notify());
    this.loop = this.run();
    return Promise.resolve();
  }

  /**
   * Stops publishing. A round in flight may finish for up to STOP_GRACE_MS; a producer still
   * connecting is given up at once. An abandoned round is a crash to the rest of the platform:
   * ending the relay's session makes its mark impossible, so its rows stay unsent and the next
   * leader publishes them again with the same eventIds, which consumers dedupe.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopListening?.();
    this.abort.abort();
    this.wake?.();
    if (!(await settlesWithin(this.loop, STOP_GRACE_MS))) {
      this.log('warn', 'outbox relay stopped with a publish in flight; its rows stay unsent for the next leader');
    }
    await Promise.all([this.resetProducer(), this.dropConnection(), this.verified.close()]);
  }

  private log(level: 'log' | 'warn' | 'error' | 'debug', msg: string, fields: Record<string, unknown> = {}): void {
    this.options.logger?.event(level, msg, { component: 'outbox-relay', ...fields });
  }

  private async run(): Promise<void> {
    let failures = 0;
    // This run's own signal: a run that stop() gave up on never continues after a new start().
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        await this.connect();
        if (!this.leader) {
          await sleep(this.options.standbyIntervalMs ?? 2000, signal);
          continue;
        }
        await this.linger();
        const published = await this.drain();
        failures = 0;
        await this.cleanup();
        if (published < this.batchSize) await this.waitForWork();
      } catch (err) {
        failures++;
        const failure = classifyError(err);
        this.log('warn', 'outbox relay retrying', { attempt: failures, code: failure.code, error: failure.message });
        if (!this.client || failure.code.startsWith('08') || failure.kind === 'transient') {
          // The connection may be the problem: start over, leadership included.
          await this.dropConnection();
        }
        await sleep(backoffDelay(failures, 200, 15_000), signal);
      }
    }
    await this.dropConnection();
  }

  private async connect(): Promise<void> {
    if (!this.client) {
      const pool = (this.options.dataSource.driver as unknown as { master: { options: ClientConfig } }).master;
      const client = new Client({ ...pool.options, application_name: 'paystream-outbox-relay' });
      // A broken connection surfaces on the next query; the event itself must not crash the process.
      client.on('error', (err) => {
        this.log('warn', 'outbox relay connection error', { error: err.message });
        this.leader = false;
        if (this.client === client) this.client = undefined;
        this.wake?.();
      });
      client.on('notification', (n: Notification) => {
        if (n.channel === OUTBOX_CHANNEL) this.notify();
      });
      await client.connect();
      this.client = client;
      this.leader = false;
    }
    if (!this.leader) {
      const res = await this.client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        this.options.lockKey ?? DEFAULT_LOCK_KEY,
      ]);
      if (res.rows[0]?.locked) {
        await this.client.query(`LISTEN ${OUTBOX_CHANNEL}`);
        this.leader = true;
        this.log('log', 'outbox relay is the leader');
      }
    }
  }

  private async dropConnection(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.leader = false;
    // Ending the session releases the advisory lock.
    await client?.end().catch(() => undefined);
  }

  private async linger(): Promise<void> {
    const rest = this.lastRoundAt + (this.options.lingerMs ?? 0) - Date.now();
    if (rest > 0) await sleep(rest, this.abort.signal);
    this.lastRoundAt = Date.now();
  }

  private notify(): void {
    this.woken = true;
    this.wake?.();
  }

  private async waitForWork(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.options.pollIntervalMs ?? 250);
      const wake = () => done();
      this.wake = wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
    this.wake = undefined;
    this.woken = false;
  }

  private async getProducer(): Promise<Producer> {
    if (!this.running) throw new Error('outbox relay stopping');
    if (!this.producer) {
      // Idempotent, one request in flight: retries never reorder or duplicate within a session.
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      this.producer = producer;
      // Against an unreachable broker connect() retries for long; stop() must not wait for it.
      await untilAborted(producer.connect(), this.abort.signal);
    }
    return this.producer;
  }

  /** Publishes everything eligible; returns the size of the last batch. */
  private async drain(): Promise<number> {
    for (;;) {
      const client = this.client;
      if (!client || !this.leader || !this.running) return 0;
      const { rows } = await client.query<PendingRow>(
        `SELECT id, topic, key, event_id, payload, headers
           FROM messaging_outbox
          WHERE sent_at IS NULL AND failed_at IS NULL
            AND txid < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY id
          LIMIT $1`,
        [this.batchSize],
      );
      if (rows.length > 0) await this.publish(client, rows);
      await this.updatePending(client);
      if (rows.length < this.batchSize) return rows.length;
    }
  }

  private async publish(client: Client, rows: PendingRow[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const publishedIds: string[] = [];
    const counts = new Map<string, number>();
    for (const row of rows) {
      let value: Buffer;
      try {
        value = await this.options.codec.encode(row.topic, row.payload);
      } catch (err) {
        const failure = classifyError(err);
        if (failure.kind !== 'permanent') throw err;
        // Outbox.append validates events, so this is a schema that changed incompatibly after
        // the row was written. Park the row (never silently drop it) and alert through the log
        // and metric; an operator can fix and re-queue it by clearing failed_at.
        await client.query(`UPDATE messaging_outbox SET failed_at = now(), error = $2 WHERE id = $1`, [
          row.id,
          `${failure.code}: ${failure.message}`,
        ]);
        this.metrics?.failed.inc({ topic: row.topic });
        this.log('error', 'outbox row cannot be encoded; parked', { id: row.id, eventId: row.event_id, ...failure });
        continue;
      }
      const list = byTopic.get(row.topic) ?? [];
      list.push({ key: row.key, value, headers: toKafkaHeaders(row.headers) });
      byTopic.set(row.topic, list);
      publishedIds.push(row.id);
      counts.set(row.topic, (counts.get(row.topic) ?? 0) + 1);
    }
    if (publishedIds.length === 0) return;
    const producer = await this.getProducer().catch(async (err: unknown) => {
      await this.resetProducer();
      throw err;
    });
    try {
      // Explicit partitions and a check of the acknowledgements: see VerifiedSend (a kafkajs
      // failover bug can otherwise report success for partitions it never wrote).
      const { topicMessages, targets } = await this.verified.assign(
        [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      );
      VerifiedSend.verify(targets, await producer.sendBatch({ acks: -1, topicMessages }));
    } catch (err) {
      this.verified.invalidate();
      await this.resetProducer();
      throw err;
    }
    await this.options.hooks?.afterPublish?.(publishedIds);
    await client.query(`UPDATE messaging_outbox SET sent_at = now() WHERE id = ANY($1::bigint[])`, [publishedIds]);
    for (const [topic, n] of counts) this.metrics?.published.inc({ topic }, n);
  }

  private async resetProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  private async updatePending(client: Client): Promise<void> {
    // A count(*) over the unsent rows per publish round would sit on the hot path; the gauge is
    // for dashboards, so once a second is enough.
    if (!this.metrics || Date.now() - this.lastPendingCount < 1000) return;
    this.lastPendingCount = Date.now();
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NULL AND failed_at IS NULL`,
    );
    this.metrics.pending.set(Number(rows[0]?.n ?? 0));
  }

  private async cleanup(): Promise<void> {
    const interval = this.options.cleanupIntervalMs ?? 60_000;
    if (Date.now() - this.lastCleanup < interval || !this.client) return;
    this.lastCleanup = Date.now();
    const retentionMs = this.options.retentionMs ?? 7 * 24 * 3600 * 1000;
    // Bounded deletes keep each statement short; the next round continues.
    const res = await this.client.query(
      `DELETE FROM messaging_outbox
        WHERE id IN (SELECT id FROM messaging_outbox
                      WHERE sent_at < now() - make_interval(secs => $1::double precision / 1000)
                      ORDER BY sent_at LIMIT 10000)`,
      [retentionMs],
    );
    if (res.rowCount) this.log('debug', 'outbox rows cleaned up', { deleted: res.rowCount });
  }
}
