import { Inject, Injectable } from '@nestjs/common';
import { LedgerResultEvent, PaymentEvent, RiskDecisionEvent } from '@paystream/contracts';
import { OutgoingMessage, PermanentError } from '@paystream/messaging';
import { JsonLogger, Metrics } from '@paystream/observability';
import { APP_CONFIG } from '@paystream/platform';
import type { EntityManager } from 'typeorm';
import { newEventStamp } from '../payment/event-stamp';
import { Applied, Payment, TransitionOutcome } from '../payment/payment';
import { PaymentConfig } from '../config';
import { PaymentRepository } from '../persistence/payment.repository';

/** What a saga step needs from the consumer runtime: the chunk's transaction, its outbox, its deferred flush. */
export interface SagaStep {
  emit(messages: OutgoingMessage[]): Promise<void>;
  deferUntilCommit(key: string, flush: (manager: EntityManager) => Promise<void>): void;
  batchState<T>(key: string, init: () => T): T;
}

type SagaEvent = RiskDecisionEvent | LedgerResultEvent;

/** A decision waiting for the chunk's flush, with the emit of its own record (the outbox source). */
interface PendingDecision {
  event: SagaEvent;
  transition: (payment: Payment) => TransitionOutcome;
  emit: SagaStep['emit'];
}

const CHUNK_STATE = 'payment-saga';

/**
 * The payment saga: each consumed decision moves the payment one step, writing the new status,
 * its history row and the next payment event in the consumer's chunk transaction. A decision
 * that does not fit the payment's status (a second decision, a late duplicate with a new id)
 * changes nothing and is counted; one about an unknown payment or other terms can never apply
 * and is a PermanentError (→ DLQ).
 *
 * Per chunk, not per record (README: saga throughput): the handlers only collect the decisions;
 * the chunk's flush locks every payment they name with one statement, applies the decisions in
 * record order in memory, and writes all new statuses and all history rows with a second one.
 * Two round trips per chunk instead of three per record. A PermanentError in the flush cannot
 * name its record, so the consumer then applies the chunk one record per transaction, where it
 * can (and sends that record to the DLQ).
 */
@Injectable()
export class ApplyDecisionService {
  private readonly illegal;
  private readonly transitions;

  constructor(
    private readonly payments: PaymentRepository,
    private readonly logger: JsonLogger,
    metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: PaymentConfig,
  ) {
    this.illegal = metrics.counter(
      'payment_illegal_transitions_total',
      'Decisions refused because the payment was not in a status they can move (repeated or out of order)',
      ['from', 'to'] as const,
    );
    this.transitions = metrics.counter('payment_transitions_total', 'Payment status changes applied', ['to'] as const);
  }

  applyRiskDecision(event: RiskDecisionEvent, step: SagaStep): void {
    expectType(event, ['risk.assessed']);
    this.enqueue(step, event, (payment) =>
      payment.applyRiskDecision(event.data, event.eventId, newEventStamp(event.correlationId)),
    );
  }

  applyLedgerResult(event: LedgerResultEvent, step: SagaStep): void {
    expectType(event, ['ledger.posted', 'ledger.refused']);
    this.enqueue(step, event, (payment) => {
      const stamp = newEventStamp(event.correlationId);
      switch (event.type) {
        case 'ledger.posted':
          return payment.applyLedgerPosted(event.data, event.eventId, stamp);
        case 'ledger.refused':
          return payment.applyLedgerRefused(event.data, event.eventId, stamp);
      }
    });
  }

  private enqueue(step: SagaStep, event: SagaEvent, transition: PendingDecision['transition']): void {
    const pending = step.batchState<PendingDecision[]>(CHUNK_STATE, () => []);
    pending.push({ event, transition, emit: (m) => step.emit(m) });
    step.deferUntilCommit(CHUNK_STATE, (manager) => this.flush(manager, pending));
  }

  /** Applies the chunk's decisions in record order; a payment named twice sees its own earlier step. */
  private async flush(manager: EntityManager, pending: PendingDecision[]): Promise<void> {
    const locked = await this.payments.lockByIds(manager, [...new Set(pending.map((p) => p.event.paymentId))]);
    const current = new Map(locked.map((p) => [p.id, p]));
    const readVersions = new Map(locked.map((p) => [p.id, p.state.version]));
    const applied: Applied[] = [];
    const emits: Array<{ emit: SagaStep['emit']; next: PaymentEvent; key: string }> = [];
    for (const { event, transition, emit } of pending) {
      const payment = current.get(event.paymentId);
      if (!payment) {
        throw new PermanentError(
          'PAYMENT_NOT_FOUND',
          `${event.type} ${event.eventId} names unknown payment ${event.paymentId}`,
        );
      }
      const result = transition(payment);
      switch (result.outcome) {
        case 'terms-mismatch':
          throw new PermanentError(
            'PAYMENT_TERMS_MISMATCH',
            `${event.type} ${event.eventId} disagrees with payment ${payment.id} on ${result.fields.join(', ')}`,
          );
        case 'illegal':
          this.illegal.inc({ from: result.from, to: result.to });
          this.logger.event('warn', 'payment transition refused', {
            paymentId: payment.id,
            eventId: event.eventId,
            eventType: event.type,
            from: result.from,
            to: result.to,
            repeated: result.repeated,
          });
          break;
        case 'applied':
          current.set(payment.id, result.payment);
          applied.push(result);
          emits.push({ emit, next: result.event, key: payment.state.debtorAccountId });
          break;
      }
    }
    if (applied.length === 0) return;
    await this.payments.saveTransitions(manager, applied, readVersions);
    // In record order: the relay publishes outbox rows in id order, so per-payment order holds.
    for (const { emit, next, key } of emits)
      await emit([{ topic: this.config.PAYMENT_EVENTS_TOPIC, key, event: next }]);
    for (const a of applied) this.transitions.inc({ to: a.payment.status });
  }
}

/** The codec checked the schema; this checks the event belongs on the topic it came from. */
function expectType(event: { type: string; eventId: string }, types: readonly string[]): void {
  if (!types.includes(event.type)) {
    throw new PermanentError(
      'UNEXPECTED_EVENT_TYPE',
      `${event.type} ${event.eventId} is not one of ${types.join(', ')}`,
    );
  }
}
