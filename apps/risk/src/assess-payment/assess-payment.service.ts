import { PaymentInitiated, RiskAssessed } from '@paystream/contracts';
import { PermanentError } from '@paystream/messaging';
import { MoneyError, toMinor } from '@paystream/money';
import { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { DecisionsRepository } from '../persistence/decisions.repository';
import { RulesRepository, RuleVersion } from '../persistence/rules.repository';
import { assessPayment, velocityWindow } from './risk-engine';

/**
 * The use case behind the `risk` consumer: one payment.initiated in, one risk.assessed out.
 * Everything runs in the consumer's batch transaction, so the decision, the debtor's velocity
 * state and the dedupe row commit or roll back as one.
 */
export interface AssessBatch {
  rules?: RuleVersion;
}

export class AssessPaymentService {
  constructor(
    private readonly rules: RulesRepository,
    private readonly decisions: DecisionsRepository,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * The decision event to emit, or undefined when this payment was already decided. `batch` is
   * scratch state shared by the events of one consumer batch: the rules are read once per batch.
   */
  async assess(db: EntityManager, event: PaymentInitiated, batch: AssessBatch = {}): Promise<RiskAssessed | undefined> {
    const { data } = event;
    const occurredAt = new Date(event.occurredAt);
    if (Number.isNaN(occurredAt.getTime())) {
      throw new PermanentError('INVALID_EVENT', `occurredAt "${event.occurredAt}" is not a timestamp`);
    }
    let amountMinor: bigint;
    try {
      amountMinor = toMinor(data.amount, data.currency);
    } catch (err) {
      if (err instanceof MoneyError) throw new PermanentError('INVALID_EVENT', `${err.code}: ${err.message}`);
      throw err;
    }
    if (amountMinor <= 0n) throw new PermanentError('INVALID_EVENT', `amount "${data.amount}" is not positive`);

    // Read inside the batch transaction, so a PUT /v1/risk/rules applies from the next batch on
    // without a restart.
    batch.rules ??= await this.rules.current(db);
    const current = batch.rules;
    if (!current) throw new Error('no risk rules installed'); // start-up installs version 1: transient at worst
    const window = velocityWindow(occurredAt, current.rules);
    const history = await this.decisions.history(db, data.debtorAccountId, data.currency, window.from, window.to);
    const assessment = assessPayment(
      { debtorAccountId: data.debtorAccountId, amountMinor, currency: data.currency, occurredAt },
      current.rules,
      history,
    );

    const decision: RiskAssessed = {
      eventId: uuidv7(),
      type: 'risk.assessed',
      occurredAt: this.clock().toISOString(),
      paymentId: event.paymentId,
      correlationId: event.correlationId,
      version: 1,
      data: {
        debtorAccountId: data.debtorAccountId,
        creditorAccountId: data.creditorAccountId,
        amount: data.amount,
        currency: data.currency,
        decision: assessment.decision,
        score: assessment.score,
        reasons: assessment.reasons,
        ruleVersion: current.version,
      },
    };
    const stored = await this.decisions.insert(db, {
      paymentId: event.paymentId,
      sourceEventId: event.eventId,
      decisionEventId: decision.eventId,
      debtorAccountId: data.debtorAccountId,
      creditorAccountId: data.creditorAccountId,
      amountMinor,
      currency: data.currency,
      decision: assessment.decision,
      score: assessment.score,
      reasons: assessment.reasons,
      ruleVersion: current.version,
      occurredAt,
      correlationId: event.correlationId,
    });
    return stored ? decision : undefined;
  }
}
