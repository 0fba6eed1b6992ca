import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { Outbox } from '@paystream/messaging';
import { Metrics, currentCorrelationId } from '@paystream/observability';
import { APP_CONFIG } from '@paystream/platform';
import { DataSource } from 'typeorm';
import type { PaymentConfig } from '../config';
import { newEventStamp, newPaymentId } from '../payment/event-stamp';
import { NewPayment, Payment } from '../payment/payment';
import { toPaymentView } from '../payment/payment.view';
import { IdempotencyRepository } from '../persistence/idempotency.repository';
import { PaymentRepository } from '../persistence/payment.repository';
import { differingFields, requestFingerprint } from './request-fingerprint';

export type SubmitOutcome =
  | { outcome: 'created'; status: number; body: unknown; paymentId: string }
  | { outcome: 'replayed'; status: number; body: unknown }
  | { outcome: 'in-flight' }
  | { outcome: 'key-reused'; fields: string[] };

/**
 * POST /v1/payments as one PostgreSQL transaction with a single commit and no waiting, in three
 * statements between BEGIN and COMMIT: claim the key and read its record (advisory lock, or 409)
 * → replay / 422 if the key is known → else payment + history + idempotency record (one
 * statement) and the payment.initiated outbox row.
 * Kafka is not involved: the relay publishes the outbox row later, so a broker outage never
 * fails the request.
 */
@Injectable()
export class SubmitPaymentService {
  private readonly created;
  private readonly replays;
  private readonly conflicts;

  constructor(
    private readonly dataSource: DataSource,
    private readonly payments: PaymentRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: PaymentConfig,
    metrics: Metrics,
  ) {
    this.created = metrics.counter('payments_created_total', 'Payments accepted by POST /v1/payments');
    this.replays = metrics.counter('payment_idempotent_replays_total', 'First responses replayed for a known key');
    this.conflicts = metrics.counter(
      'payment_idempotency_conflicts_total',
      'Keys refused (409 in flight, 422 reused)',
      ['kind'] as const,
    );
  }

  async submit(key: string, requestBody: unknown, input: NewPayment): Promise<SubmitOutcome> {
    const fingerprint = requestFingerprint(requestBody);
    const correlationId = currentCorrelationId() ?? randomUUID();
    let outcome: SubmitOutcome;
    try {
      outcome = await this.attempt(key, fingerprint, requestBody, input, correlationId);
    } catch (err) {
      if (!(err instanceof KeyTakenMeanwhile)) throw err;
      // The first request with this key committed between our lookup and our insert: its record
      // is visible to a new transaction, which replays it (or answers 422).
      outcome = await this.attempt(key, fingerprint, requestBody, input, correlationId);
    }
    switch (outcome.outcome) {
      case 'created':
        this.created.inc();
        break;
      case 'replayed':
        this.replays.inc();
        break;
      case 'in-flight':
        this.conflicts.inc({ kind: 'in_flight' });
        break;
      case 'key-reused':
        this.conflicts.inc({ kind: 'key_reused' });
        break;
    }
    return outcome;
  }

  private attempt(
    key: string,
    fingerprint: string,
    requestBody: unknown,
    input: NewPayment,
    correlationId: string,
  ): Promise<SubmitOutcome> {
    return this.dataSource.transaction(async (manager): Promise<SubmitOutcome> => {
      const now = new Date();
      const claim = await this.idempotency.claim(manager, key, now);
      if (!claim.locked) return { outcome: 'in-flight' };
      if (claim.known) {
        if (claim.known.fingerprint === fingerprint) {
          return { outcome: 'replayed', status: claim.known.responseStatus, body: claim.known.responseBody };
        }
        return { outcome: 'key-reused', fields: differingFields(claim.known.requestBody, requestBody) };
      }
      const applied = Payment.initiate(newPaymentId(), input, newEventStamp(correlationId, now));
      const body = toPaymentView(applied.payment.state, [applied.change]);
      const stored = await this.payments.insertInitiated(manager, applied, {
        key,
        fingerprint,
        requestBody,
        responseStatus: 201,
        responseBody: body,
        expiresAt: new Date(now.getTime() + this.config.PAYMENT_IDEMPOTENCY_TTL_HOURS * 3_600_000),
      });
      if (!stored) throw new KeyTakenMeanwhile();
      await this.outbox.append(manager, [
        { topic: TOPICS.paymentEvents, key: input.debtorAccountId, event: applied.event },
      ]);
      return { outcome: 'created', status: 201, body, paymentId: applied.payment.id };
    });
  }
}

/** Rolls back an attempt whose key was stored by a concurrent first request after the lookup. */
class KeyTakenMeanwhile extends Error {}
