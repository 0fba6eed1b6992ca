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
   * The payment, its first history row and its idempotency record in one statement (one round
   * trip on the hot path). Foreign keys are checked at the end of the statement, when the payment
   * row exists. An expired key not purged yet is replaced. Returns false when the key is live
   * (a first request committed after the caller's lookup): the caller must roll back, since the
   * payment rows of this statement were written regardless.
   */
  async insertInitiated(
    manager: EntityManager,
    applied: Applied<PaymentInitiated>,
    record: IdempotencyRecord,
  ): Promise<boolean> {
    const p = applied.payment.state;
    const c = applied.change;
    const rows: unknown[] = await manager.query(
      `WITH payment AS (
         INSERT INTO payments (id, debtor_account_id, creditor_account_id, amount_minor, currency, reference,
                               metadata, status, reason, version, correlation_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
       ), history AS (
         INSERT INTO payment_status_history (payment_id, status, reason, version, event_id, cause_event_id, occurred_at)
         VALUES ($1, $8, $9, $10, $13, NULL, $12)
       )
       INSERT INTO idempotency_keys (key, fingerprint, request_body, response_status, response_body, payment_id,
                                     created_at, expires_at)
       VALUES ($14, $15, $16, $17, $18, $1, $12, $19)
       ON CONFLICT (key) DO UPDATE SET
         fingerprint = EXCLUDED.fingerprint, request_body = EXCLUDED.request_body,
         response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body,
         payment_id = EXCLUDED.payment_id, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at <= EXCLUDED.created_at
       RETURNING key`,
      [
        p.id,
        p.debtorAccountId,
        p.creditorAccountId,
        p.amountMinor.toString(),
        p.currency,
        p.reference,
        p.metadata === null ? null : JSON.stringify(p.metadata),
        p.status,
        p.reason,
        p.version,
        p.correlationId,
        p.createdAt,
        c.eventId,
        record.key,
        record.fingerprint,
        JSON.stringify(record.requestBody),
        record.responseStatus,
        JSON.stringify(record.responseBody),
        record.expiresAt,
      ],
    );
    return rows.length === 1;
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
