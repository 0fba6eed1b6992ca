import { Injectable } from '@nestjs/common';
import type { PaymentInitiated } from '@paystream/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { Applied, Payment, PaymentState, StatusChange } from '../payment/payment';
import type { PaymentStatus } from '../payment/payment-status';
import { PaymentStatusHistoryEntity } from './payment-status-history.entity';
import { PaymentEntity } from './payment.entity';

/** The first response of an Idempotency-Key, stored with the payment it created. */
export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  requestBody: unknown;
  responseStatus: number;
  responseBody: unknown;
  expiresAt: Date;
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
   * New payments with their first history rows and idempotency records, any number in one
   * statement (one round trip per batch on the hot path). The idempotency record is inserted
   * first and only the payments whose key it stored are written: an expired key not purged yet
   * is replaced, a live one (a first request that committed after the caller's lookup) is left
   * alone and its payment not written. Foreign keys are checked at the end of the statement, when
   * the payment rows exist. Returns the keys stored; the keys must be distinct.
   */
  async insertInitiated(
    manager: EntityManager,
    items: readonly { applied: Applied<PaymentInitiated>; record: IdempotencyRecord }[],
  ): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const column = <T>(f: (p: PaymentState, c: StatusChange, r: IdempotencyRecord) => T): T[] =>
      items.map(({ applied, record }) => f(applied.payment.state, applied.change, record));
    const rows: { key: string }[] = await manager.query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::jsonb[],
                              $8::text[], $9::int[], $10::text[], $11::timestamptz[], $12::uuid[], $13::text[],
                              $14::text[], $15::jsonb[], $16::smallint[], $17::json[], $18::timestamptz[])
           AS i(id, debtor, creditor, amount_minor, currency, reference, metadata, status, version, correlation_id,
                at, event_id, key, fingerprint, request_body, response_status, response_body, expires_at)
       ), stored AS (
         INSERT INTO idempotency_keys (key, fingerprint, request_body, response_status, response_body, payment_id,
                                       created_at, expires_at)
         SELECT key, fingerprint, request_body, response_status, response_body, id, at, expires_at FROM input
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
           FROM input JOIN stored USING (key)
       ), history AS (
         INSERT INTO payment_status_history (payment_id, status, reason, version, event_id, cause_event_id, occurred_at)
         SELECT id, status, NULL, version, event_id, NULL, at FROM input JOIN stored USING (key)
       )
       SELECT key FROM stored`,
      [
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
      ],
    );
    return new Set(rows.map((r) => r.key));
  }

  /** The payment locked for the rest of the transaction (saga steps of one payment serialise here). */
  async lockById(manager: EntityManager, id: string): Promise<Payment | undefined> {
    const row = await manager
      .getRepository(PaymentEntity)
      .createQueryBuilder('p')
      .setLock('pessimistic_write')
      .where('p.id = :id', { id })
      .getOne();
    return row ? Payment.restore(toState(row)) : undefined;
  }

  /**
   * Records an applied transition: the new status (only if nobody moved the payment since it was
   * read, which the row lock guarantees) and its history row.
   */
  async saveTransition(manager: EntityManager, applied: Applied, previousVersion: number): Promise<void> {
    const p = applied.payment.state;
    const c = applied.change;
    const result = await manager
      .createQueryBuilder()
      .update(PaymentEntity)
      .set({ status: p.status, reason: p.reason, version: p.version, updatedAt: p.updatedAt })
      .where('id = :id AND version = :previousVersion', { id: p.id, previousVersion })
      .execute();
    if (result.affected !== 1) throw new Error(`payment ${p.id} changed concurrently (expected v${previousVersion})`);
    await manager.insert(PaymentStatusHistoryEntity, {
      paymentId: p.id,
      status: c.status,
      reason: c.reason,
      version: c.version,
      eventId: c.eventId,
      causeEventId: c.causeEventId,
      occurredAt: c.occurredAt,
    });
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
