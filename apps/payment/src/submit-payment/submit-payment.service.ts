import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PaymentInitiated } from '@paystream/contracts';
import { Outbox, OutboxSignal } from '@paystream/messaging';
import { Metrics, currentCorrelationId } from '@paystream/observability';
import { APP_CONFIG } from '@paystream/platform';
import { DataSource } from 'typeorm';
import type { PaymentConfig } from '../config';
import { newEventStamp, newPaymentId } from '../payment/event-stamp';
import { Applied, NewPayment, Payment } from '../payment/payment';
import { PaymentView, toPaymentView } from '../payment/payment.view';
import { PaymentRepository } from '../persistence/payment.repository';
import { BatchResult, GroupCommit } from './group-commit';
import { differingFields, requestFingerprint } from './request-fingerprint';

export type SubmitOutcome =
  | { outcome: 'created'; status: number; body: unknown; paymentId: string }
  | { outcome: 'replayed'; status: number; body: unknown }
  | { outcome: 'in-flight' }
  | { outcome: 'key-reused'; fields: string[] };

/** One accepted request on its way to the database, everything computed outside the transaction. */
interface Submission {
  key: string;
  fingerprint: string;
  requestBody: unknown;
  applied: Applied<PaymentInitiated>;
  /** The 201 body, stored as the key's first response. */
  body: PaymentView;
  expiresAt: Date;
}

/**
 * POST /v1/payments with group commit (README of the payment app: "Submitting a payment").
 * Requests that arrive while a batch is committing share the next PostgreSQL transaction: one
 * statement claims every key (advisory locks), reads its record and writes the new payments, their
 * history and idempotency records; one statement appends their payment.initiated outbox rows; one
 * commit. Then each request gets its own answer (201, replay, 422 or 409). A response is
 * only sent after its transaction committed.
 * Kafka is not involved: the relay publishes the outbox rows later, so a broker outage never fails
 * a request.
 */
@Injectable()
export class SubmitPaymentService {
  private readonly created;
  private readonly replays;
  private readonly conflicts;
  private readonly batchSize;
  private readonly batches: GroupCommit<Submission, SubmitOutcome>;
  /** Keys of this instance's requests in flight; other instances' are found by the advisory locks. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly payments: PaymentRepository,
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
    this.batchSize = metrics.histogram(
      'payment_submit_batch_size',
      'Requests per group-committed transaction of POST /v1/payments',
      [],
      [1, 2, 4, 8, 16, 32, 64, 128, 256],
    );
    this.batches = new GroupCommit({
      maxBatch: config.PAYMENT_SUBMIT_MAX_BATCH,
      maxConcurrent: config.PAYMENT_SUBMIT_CONCURRENT_BATCHES,
      commit: (items) => this.commit(items),
    });
  }

  async submit(key: string, requestBody: unknown, input: NewPayment): Promise<SubmitOutcome> {
    let outcome: SubmitOutcome;
    if (this.inFlight.has(key)) {
      // The same key is already on its way in this instance: never two of them in one transaction.
      outcome = { outcome: 'in-flight' };
    } else {
      this.inFlight.add(key);
      try {
        outcome = await this.batches.submit(this.prepare(key, requestBody, input));
      } finally {
        this.inFlight.delete(key);
      }
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

  private prepare(key: string, requestBody: unknown, input: NewPayment): Submission {
    const now = new Date();
    const correlationId = currentCorrelationId() ?? randomUUID();
    const applied = Payment.initiate(newPaymentId(), input, newEventStamp(correlationId, now));
    return {
      key,
      fingerprint: requestFingerprint(requestBody),
      requestBody,
      applied,
      body: toPaymentView(applied.payment.state, [applied.change]),
      expiresAt: new Date(now.getTime() + this.config.PAYMENT_IDEMPOTENCY_TTL_HOURS * 3_600_000),
    };
  }

  /**
   * One statement for a batch of requests with distinct keys (PaymentRepository.claimAndInsert):
   * keys, idempotency records, payments, history and outbox rows, atomic without BEGIN/COMMIT.
   */
  private async commit(items: readonly Submission[]): Promise<BatchResult<SubmitOutcome>[]> {
    this.batchSize.observe(items.length);
    const topic = this.config.PAYMENT_EVENTS_TOPIC;
    const rows = await this.outbox.rowValues(
      items.map((s) => ({ topic, key: s.applied.event.data.debtorAccountId, event: s.applied.event })),
    );
    const answers = await this.payments.claimAndInsert(
      items.map((s) => ({
        applied: s.applied,
        record: {
          key: s.key,
          fingerprint: s.fingerprint,
          requestBody: s.requestBody,
          responseStatus: 201,
          responseBody: s.body,
          expiresAt: s.expiresAt,
        },
      })),
      { topic, rows },
    );
    if (answers.some((a) => a.stored)) OutboxSignal.for(this.dataSource).committed();
    return answers.map((answer, i): BatchResult<SubmitOutcome> => {
      const s = items[i];
      if (!answer.locked) return { value: { outcome: 'in-flight' } };
      if (answer.stored) {
        return { value: { outcome: 'created', status: 201, body: s.body, paymentId: s.applied.payment.id } };
      }
      if (!answer.known) {
        // The first request with this key committed between our read and our insert: its record
        // is visible to the next transaction, which replays it (or answers 422).
        return { again: true };
      }
      if (answer.known.fingerprint === s.fingerprint) {
        return {
          value: { outcome: 'replayed', status: answer.known.responseStatus, body: answer.known.responseBody },
        };
      }
      return { value: { outcome: 'key-reused', fields: differingFields(answer.known.requestBody, s.requestBody) } };
    });
  }
}
