import { Injectable } from '@nestjs/common';
import { LedgerResultEvent, PaymentEvent, RiskDecisionEvent, TOPICS } from '@paystream/contracts';
import { OutgoingMessage, PermanentError } from '@paystream/messaging';
import { JsonLogger, Metrics } from '@paystream/observability';
import type { EntityManager } from 'typeorm';
import { newEventStamp } from '../payment/event-stamp';
import { Payment, TransitionOutcome } from '../payment/payment';
import { PaymentRepository } from '../persistence/payment.repository';

/** What a saga step needs from the consumer runtime: the batch transaction and the outbox of that transaction. */
export interface SagaStep {
  manager: EntityManager;
  emit(messages: OutgoingMessage[]): Promise<void>;
}

export type SagaResult = 'applied' | 'ignored';

/**
 * The payment saga: each consumed decision moves the payment one step, writing the new status,
 * its history row and the next payment event in the consumer's batch transaction. A decision
 * that does not fit the payment's status (a second decision, a late duplicate with a new id)
 * changes nothing and is counted; one about an unknown payment or other terms can never apply
 * and is a PermanentError (→ DLQ).
 */
@Injectable()
export class ApplyDecisionService {
  private readonly illegal;
  private readonly transitions;

  constructor(
    private readonly payments: PaymentRepository,
    private readonly logger: JsonLogger,
    metrics: Metrics,
  ) {
    this.illegal = metrics.counter(
      'payment_illegal_transitions_total',
      'Decisions refused because the payment was not in a status they can move (repeated or out of order)',
      ['from', 'to'] as const,
    );
    this.transitions = metrics.counter('payment_transitions_total', 'Payment status changes applied', ['to'] as const);
  }

  applyRiskDecision(event: RiskDecisionEvent, step: SagaStep): Promise<SagaResult> {
    expectType(event, ['risk.assessed']);
    return this.apply(event, step, (payment) =>
      payment.applyRiskDecision(event.data, event.eventId, newEventStamp(event.correlationId)),
    );
  }

  applyLedgerResult(event: LedgerResultEvent, step: SagaStep): Promise<SagaResult> {
    expectType(event, ['ledger.posted', 'ledger.refused']);
    return this.apply(event, step, (payment) => {
      const stamp = newEventStamp(event.correlationId);
      switch (event.type) {
        case 'ledger.posted':
          return payment.applyLedgerPosted(event.data, event.eventId, stamp);
        case 'ledger.refused':
          return payment.applyLedgerRefused(event.data, event.eventId, stamp);
      }
    });
  }

  private async apply(
    event: RiskDecisionEvent | LedgerResultEvent,
    step: SagaStep,
    transition: (payment: Payment) => TransitionOutcome,
  ): Promise<SagaResult> {
    const payment = await this.payments.lockById(step.manager, event.paymentId);
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
        return 'ignored';
      case 'applied': {
        await this.payments.saveTransition(step.manager, result, payment.state.version);
        const next: PaymentEvent = result.event;
        await step.emit([{ topic: TOPICS.paymentEvents, key: payment.state.debtorAccountId, event: next }]);
        this.transitions.inc({ to: result.payment.status });
        return 'applied';
      }
    }
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
