import { PaymentInitiated, RiskAssessed } from '@paystream/contracts';
import { PermanentError } from '@paystream/messaging';
import { MoneyError, toMinor } from '@paystream/money';
import { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { DecisionsRepository, StoredDecision } from '../persistence/decisions.repository';
import { RulesRepository, RuleVersion } from '../persistence/rules.repository';
import { DebtorHistory, assessPayment, velocityWindow } from './risk-engine';

/**
 * The use case behind the `risk` consumer: one payment.initiated in, one risk.assessed out.
 * Everything runs in the consumer's batch transaction, so the decision, the debtor's velocity
 * state and the dedupe row commit or roll back as one.
 *
 * Scratch state of one consumer batch: the rules (read once), and the batch's decisions, which
 * `flush` writes in one statement before the commit. A later payment of the same debtor in the
 * batch counts the earlier ones through `approvals`, exactly as if they had been written already.
 */
type Approval = Pick<StoredDecision, 'occurredAt' | 'amountMinor' | 'currency'>;

export interface AssessBatch {
  rules?: RuleVersion;
  decided?: Map<string, Omit<StoredDecision, 'decidedAt'>>;
  approvals?: Map<string, Approval[]>;
  /** Read ahead for the batch's payments (stored state only; the batch's own decisions are added). */
  histories?: Map<string, DebtorHistory & { decided: boolean }>;
}

export class AssessPaymentService {
  constructor(
    private readonly rules: RulesRepository,
    private readonly decisions: DecisionsRepository,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * The decision event to emit, or undefined when this payment was already decided (before, or
   * earlier in the batch). The decision is kept in `batch` until `flush` writes it.
   */
  async assess(
    db: EntityManager,
    event: PaymentInitiated,
    batch: AssessBatch,
    ahead: () => readonly PaymentInitiated[] = () => [],
  ): Promise<RiskAssessed | undefined> {
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
    const decided = (batch.decided ??= new Map<string, Omit<StoredDecision, 'decidedAt'>>());
    const approvals = (batch.approvals ??= new Map<string, Approval[]>());
    if (decided.has(event.paymentId)) return undefined;
    const window = velocityWindow(occurredAt, current.rules);
    // The batch's first payment reads the stored history of all its payments in one statement.
    batch.histories ??= await this.decisions.histories(db, this.windows(ahead(), current));
    const history =
      batch.histories.get(event.paymentId) ??
      (await this.decisions.history(db, data.debtorAccountId, data.currency, window.from, window.to, event.paymentId));
    batch.histories.delete(event.paymentId);
    if (history.decided) return undefined;
    for (const earlier of approvals.get(data.debtorAccountId) ?? []) {
      history.approvedPayments++;
      if (earlier.occurredAt > window.from && earlier.occurredAt <= window.to) {
        history.windowCount++;
        if (earlier.currency === data.currency) history.windowAmountMinor += earlier.amountMinor;
      }
    }
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
    const row = {
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
    };
    decided.set(event.paymentId, row);
    if (assessment.decision === 'APPROVE') {
      const ofDebtor = approvals.get(data.debtorAccountId) ?? [];
      ofDebtor.push({ occurredAt, amountMinor, currency: data.currency });
      approvals.set(data.debtorAccountId, ofDebtor);
    }
    return decision;
  }

  /** The velocity windows of the payments a batch reads ahead for; unreadable events are left to assess(). */
  private windows(events: readonly PaymentInitiated[], current: RuleVersion) {
    return events.flatMap((e) => {
      const occurredAt = new Date(e.occurredAt);
      if (Number.isNaN(occurredAt.getTime())) return [];
      const { from, to } = velocityWindow(occurredAt, current.rules);
      return [{ paymentId: e.paymentId, debtorAccountId: e.data.debtorAccountId, currency: e.data.currency, from, to }];
    });
  }

  /** Writes the batch's decisions and the debtors' approval counters (one statement). */
  async flush(db: EntityManager, batch: AssessBatch): Promise<void> {
    const rows = [...(batch.decided?.values() ?? [])];
    batch.decided?.clear();
    batch.approvals?.clear();
    await this.decisions.insertAll(db, rows);
  }
}
