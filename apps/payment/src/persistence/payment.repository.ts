import { Injectable } from '@nestjs/common';
import type { PaymentInitiated } from '@paystream/contracts';
import type { Pool } from 'pg';
import { outboxInsertFrom } from '@paystream/messaging';
import { DataSource, EntityManager } from 'typeorm';
import { Applied, Payment, PaymentState, StatusChange } from '../payment/payment';
import type { PaymentStatus } from '../payment/payment-status';
import { PaymentStatusHistoryEntity } from './payment-status-history.entity';
import { PaymentEntity } from './payment.entity';
import type { StoredResponse } from './idempotency.repository';

/** The first response of an Idempotency-Key, stored with the payment it created. */
export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  requestBody: unknown;
  responseStatus: number;
  responseBody: unknown;
  expiresAt: Date;
}

/** The statement of PaymentRepository.claimAndInsert: the whole write of a batch of POSTs. */
const CLAIM_AND_INSERT = `WITH input AS MATERIALIZED (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::jsonb[],
                              $8::text[], $9::int[], $10::text[], $11::timestamptz[], $12::uuid[], $13::text[],
                              $14::text[], $15::jsonb[], $16::smallint[], $17::json[], $18::timestamptz[])
                WITH ORDINALITY
           AS i(id, debtor, creditor, amount_minor, currency, reference, metadata, status, version, correlation_id,
                at, event_id, key, fingerprint, request_body, response_status, response_body, expires_at, ord)
       ), claim AS MATERIALIZED (
         -- LATERAL: the lock function runs exactly once per key.
         SELECT i.ord, i.key, l.locked, k.fingerprint, k.request_body, k.response_status, k.response_body
           FROM input i
           CROSS JOIN LATERAL pg_try_advisory_xact_lock(hashtextextended(i.key, 0)) AS l(locked)
           LEFT JOIN idempotency_keys k ON l.locked AND k.key = i.key AND k.expires_at > i.at
       ), fresh AS (
         SELECT i.* FROM input i JOIN claim c USING (ord) WHERE c.locked AND c.fingerprint IS NULL
       ), stored AS (
         INSERT INTO idempotency_keys (key, fingerprint, request_body, response_status, response_body, payment_id,
                                       created_at, expires_at)
         SELECT key, fingerprint, request_body, response_status, response_body, id, at, expires_at
           FROM fresh ORDER BY ord
         ON CONFLICT (key) DO UPDATE SET
           fingerprint = EXCLUDED.fingerprint, request_body = EXCLUDED.request_body,
           response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body,
           payment_id = EXCLUDED.payment_id, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at <= EXCLUDED.created_at
         RETURNING key
       ), payment AS (
         INSERT INTO payments (id, debtor_account_id, creditor_account_id, amount_minor, currency, reference,
                               metadata, status, reason, version, correlation_id, created_at, updated_at)
         SELECT id, debtor, creditor, amount_minor, currency, reference, metadata, status, NULL, version,
                correlation_id, at, at
           FROM fresh JOIN stored USING (key)
       ), history AS (
         INSERT INTO payment_status_history (payment_id, status, reason, version, event_id, cause_event_id, occurred_at)
         SELECT id, status, NULL, version, event_id, NULL, at FROM fresh JOIN stored USING (key)
       ), outbox AS (
         ${outboxInsertFrom(`SELECT $19, f.debtor, o.payload->>'eventId', o.payload->>'type', o.payload, o.headers
           FROM fresh f JOIN stored USING (key)
           JOIN unnest($20::jsonb[], $21::jsonb[]) WITH ORDINALITY AS o(payload, headers, ord) USING (ord)
          ORDER BY ord`)}
       )
       SELECT c.locked, c.fingerprint, c.request_body, c.response_status, c.response_body, s.key IS NOT NULL AS stored
         FROM claim c LEFT JOIN stored s USING (key)
        ORDER BY c.ord`;

/** What the batch write did for one request (see claimAndInsert). */
export interface BatchAnswer {
  locked: boolean;
  /** The key's live record: the key was used before (replay or 422). */
  known?: StoredResponse;
  stored: boolean;
}

export interface PaymentFilter {
  accountId?: string;
  status?: PaymentStatus;
  /** Only payments with an id below this one (the keyset cursor). */
  beforeId?: string;
  limit: number;
}

function toState(row: PaymentEntity): PaymentState {
  return {
    id: row.id,
    debtorAccountId: row.debtorAccountId,
    creditorAccountId: row.creditorAccountId,
    amountMinor: row.amountMinor,
    currency: row.currency,
    reference: row.reference,
    metadata: row.metadata,
    status: row.status,
    reason: row.reason,
    version: row.version,
    correlationId: row.correlationId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toChange(row: PaymentStatusHistoryEntity): StatusChange {
  return {
    status: row.status,
    reason: row.reason,
    version: row.version,
    eventId: row.eventId,
    causeEventId: row.causeEventId,
    occurredAt: row.occurredAt,
  };
}

@Injectable()
export class PaymentRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The write of POST /v1/payments for a whole batch, in one statement (one round trip) and so
   * in one transaction without BEGIN and COMMIT (autocommit: the statement is atomic):
   * 1. claim each key without waiting (advisory lock, held until the statement ends) and read its
   *    live record;
   * 2. for each key claimed and unknown, insert the idempotency record, and only where that
   *    stored it, the payment, its first history row and its payment.initiated outbox row (from
   *    `outbox`, aligned with `items`; the caller wakes the relay after this returns).
   * One answer per item, in order. The keys must be distinct (the advisory lock is re-entrant
   * within a transaction, so a repeated key would be claimed twice).
   *
   * `locked: false`: another transaction holds the key (another instance's request in flight →
   * 409). `known`: the key's first response (replay or 422). `stored`: the payment was written.
   *
   * The records are read with the statement's snapshot, taken just before the locks: a first
   * request that committed and released its lock in between is not seen by the read, but the
   * insert finds its key taken (ON CONFLICT sees committed rows regardless of snapshots) and
   * leaves it alone: `locked` and neither `known` nor `stored`, and the caller tries again in a new
   * statement, which sees the record. An expired key not purged yet is replaced; "expired" is
   * judged at the request's own time (its `created_at`) by both the read and the insert, so they
   * never disagree about a key that expires while the request waits for its batch. Two keys with
   * the same 64-bit hash in different transactions exclude each other: a spurious 409, never a
   * duplicate. Foreign keys are checked at the end of the statement, when the payment rows exist.
   */
  async claimAndInsert(
    items: readonly { applied: Applied<PaymentInitiated>; record: IdempotencyRecord }[],
    outbox: { topic: string; rows: ReadonlyArray<{ payload: string; headers: string }> },
  ): Promise<BatchAnswer[]> {
    if (items.length === 0) return [];
    if (outbox.rows.length !== items.length) throw new Error('one outbox row per item');
    const column = <T>(f: (p: PaymentState, c: StatusChange, r: IdempotencyRecord) => T): T[] =>
      items.map(({ applied, record }) => f(applied.payment.state, applied.change, record));
    const { rows } = await this.pool().query<{
      locked: boolean;
      fingerprint: string | null;
      request_body: unknown;
      response_status: number | null;
      response_body: unknown;
      stored: boolean;
    }>({
      // Named: parsed and planned once per connection (this statement is the hot path's only big one).
      name: 'payment_claim_and_insert_v2',
      text: CLAIM_AND_INSERT,
      values: [
        column((p) => p.id),
        column((p) => p.debtorAccountId),
        column((p) => p.creditorAccountId),
        column((p) => p.amountMinor.toString()),
        column((p) => p.currency),
        column((p) => p.reference),
        column((p) => (p.metadata === null ? null : JSON.stringify(p.metadata))),
        column((p) => p.status),
        column((p) => p.version),
        column((p) => p.correlationId),
        column((p) => p.createdAt.toISOString()),
        column((_p, c) => c.eventId),
        column((_p, _c, r) => r.key),
        column((_p, _c, r) => r.fingerprint),
        column((_p, _c, r) => JSON.stringify(r.requestBody)),
        column((_p, _c, r) => r.responseStatus),
        column((_p, _c, r) => JSON.stringify(r.responseBody)),
        column((_p, _c, r) => r.expiresAt.toISOString()),
        outbox.topic,
        outbox.rows.map((r) => r.payload),
        outbox.rows.map((r) => r.headers),
      ],
    });
    if (rows.length !== items.length) throw new Error(`claimed ${rows.length} of ${items.length} keys`);
    return rows.map((row) => {
      if (!row.locked) return { locked: false, stored: false };
      if (row.fingerprint === null || row.response_status === null) return { locked: true, stored: row.stored };
      return {
        locked: true,
        stored: false,
        known: {
          fingerprint: row.fingerprint,
          requestBody: row.request_body,
          responseStatus: row.response_status,
          responseBody: row.response_body,
        },
      };
    });
  }

  /**
   * The payments locked for the rest of the transaction (saga steps of one payment serialise
   * here), in id order so that two transactions locking overlapping sets never deadlock.
   * Unknown ids are simply absent.
   */
  async lockByIds(manager: EntityManager, ids: readonly string[]): Promise<Payment[]> {
    if (ids.length === 0) return [];
    const rows = await manager
      .getRepository(PaymentEntity)
      .createQueryBuilder('p')
      .setLock('pessimistic_write')
      .where('p.id = ANY(:ids)', { ids })
      .orderBy('p.id')
      .getMany();
    return rows.map((row) => Payment.restore(toState(row)));
  }

  /**
   * Records applied transitions, in order (several may concern one payment): each payment's last
   * status (only if nobody moved it since it was read at `readVersions`, which the row locks
   * guarantee) and every history row, in one statement.
   */
  async saveTransitions(
    manager: EntityManager,
    applied: readonly Applied[],
    readVersions: ReadonlyMap<string, number>,
  ): Promise<void> {
    if (applied.length === 0) return;
    const last = new Map(applied.map((a) => [a.payment.state.id, a.payment.state]));
    const states = [...last.values()];
    const changes = applied.map((a) => ({ paymentId: a.payment.state.id, c: a.change }));
    // One statement (one round trip per chunk). Counted through a SELECT: TypeORM answers a bare
    // UPDATE with [rows, count]. A mismatch throws and the whole transaction rolls back.
    const [{ updated }] = await manager.query<Array<{ updated: number }>>(
      `WITH changed AS (
         UPDATE payments p SET status = u.status, reason = u.reason, version = u.version, updated_at = u.updated_at
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::int[])
                AS u(id, status, reason, version, updated_at, previous)
          WHERE p.id = u.id AND p.version = u.previous
         RETURNING 1
       ), history AS (
         INSERT INTO payment_status_history (payment_id, status, reason, version, event_id, cause_event_id, occurred_at)
         SELECT * FROM unnest($7::uuid[], $8::text[], $9::text[], $10::int[], $11::uuid[], $12::uuid[],
                              $13::timestamptz[])
       )
       SELECT count(*)::int AS updated FROM changed`,
      [
        states.map((p) => p.id),
        states.map((p) => p.status),
        states.map((p) => p.reason),
        states.map((p) => p.version),
        states.map((p) => p.updatedAt.toISOString()),
        states.map((p) => readVersions.get(p.id)),
        changes.map((x) => x.paymentId),
        changes.map((x) => x.c.status),
        changes.map((x) => x.c.reason),
        changes.map((x) => x.c.version),
        changes.map((x) => x.c.eventId),
        changes.map((x) => x.c.causeEventId),
        changes.map((x) => x.c.occurredAt.toISOString()),
      ],
    );
    if (updated !== states.length) {
      throw new Error(`payments changed concurrently: updated ${updated} of ${states.length}`);
    }
  }

  /** The pg connection of the manager's transaction (for a named prepared statement). */
  /** The driver's pool: a named statement is prepared once per pooled connection. */
  private pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  async findWithHistory(id: string): Promise<{ state: PaymentState; history: StatusChange[] } | undefined> {
    const row = await this.dataSource.getRepository(PaymentEntity).findOneBy({ id });
    if (!row) return undefined;
    const history = await this.dataSource
      .getRepository(PaymentStatusHistoryEntity)
      .find({ where: { paymentId: id }, order: { version: 'ASC' } });
    return { state: toState(row), history: history.map(toChange) };
  }

  /** Newest first (ids are UUIDv7); one more row than asked tells the caller whether a next page exists. */
  async list(filter: PaymentFilter): Promise<PaymentState[]> {
    const q = this.dataSource.getRepository(PaymentEntity).createQueryBuilder('p');
    if (filter.accountId !== undefined) {
      q.andWhere('(p.debtorAccountId = :account OR p.creditorAccountId = :account)', { account: filter.accountId });
    }
    if (filter.status !== undefined) q.andWhere('p.status = :status', { status: filter.status });
    if (filter.beforeId !== undefined) q.andWhere('p.id < :before', { before: filter.beforeId });
    const rows = await q.orderBy('p.id', 'DESC').limit(filter.limit).getMany();
    return rows.map(toState);
  }
}
