import type {
  LedgerPostedData,
  LedgerRefusedData,
  PaymentAuthorized,
  PaymentEvent,
  PaymentFailed,
  PaymentInitiated,
  PaymentRejected,
  PaymentSettled,
  PaymentTerms,
  RiskAssessedData,
} from '@paystream/contracts';
import { fromMinor, toMinor } from '@paystream/money';
import { canonicalJson } from './canonical-json';
import { PaymentStatus, canTransition } from './payment-status';

export type Metadata = Record<string, unknown>;

/** Everything the service knows about one payment. Money is minor units. */
export interface PaymentState {
  id: string;
  debtorAccountId: string;
  creditorAccountId: string;
  amountMinor: bigint;
  currency: string;
  reference: string | null;
  metadata: Metadata | null;
  status: PaymentStatus;
  /** Why a payment was REJECTED or FAILED (`RISK_*`, `INSUFFICIENT_FUNDS`, …). */
  reason: string | null;
  /** Number of events recorded for the payment: the `version` of its latest event. */
  version: number;
  correlationId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewPayment {
  debtorAccountId: string;
  creditorAccountId: string;
  amountMinor: bigint;
  currency: string;
  reference: string | null;
  metadata: Metadata | null;
}

/** Identity and time of the event a change records; adapters make them, tests fix them. */
export interface EventStamp {
  eventId: string;
  occurredAt: Date;
  correlationId: string;
}

/** One row of the status history. */
export interface StatusChange {
  status: PaymentStatus;
  reason: string | null;
  version: number;
  eventId: string;
  /** The consumed event (risk or ledger) that caused the change; null for the initiation. */
  causeEventId: string | null;
  occurredAt: Date;
}

export interface Applied<E extends PaymentEvent = PaymentEvent> {
  outcome: 'applied';
  payment: Payment;
  change: StatusChange;
  event: E;
}

/** The move is not allowed from the current status; a repeated decision is one of these. */
export interface Illegal {
  outcome: 'illegal';
  from: PaymentStatus;
  to: PaymentStatus;
  repeated: boolean;
}

/** The decision names other terms than the payment's: it cannot be about this payment. */
export interface TermsMismatch {
  outcome: 'terms-mismatch';
  fields: string[];
}

export type TransitionOutcome<E extends PaymentEvent = PaymentEvent> = Applied<E> | Illegal | TermsMismatch;

/**
 * The payment aggregate: immutable, every transition returns an outcome (never throws for a
 * business reason) and, when applied, the new state, its history row and the event to publish.
 */
export class Payment {
  private constructor(readonly state: Readonly<PaymentState>) {}

  static restore(state: PaymentState): Payment {
    return new Payment({ ...state });
  }

  static initiate(id: string, input: NewPayment, stamp: EventStamp): Applied<PaymentInitiated> {
    const state: PaymentState = {
      id,
      ...input,
      status: 'PENDING',
      reason: null,
      version: 1,
      correlationId: stamp.correlationId,
      createdAt: stamp.occurredAt,
      updatedAt: stamp.occurredAt,
    };
    const payment = new Payment(state);
    const event: PaymentInitiated = {
      ...payment.envelope('payment.initiated', stamp),
      data: {
        ...payment.terms(),
        reference: input.reference,
        metadata: input.metadata === null ? null : canonicalJson(input.metadata),
      },
    };
    return { outcome: 'applied', payment, change: payment.changeRecord(stamp, null), event };
  }

  get id(): string {
    return this.state.id;
  }

  get status(): PaymentStatus {
    return this.state.status;
  }

  /** The terms as events carry them: amounts as decimal strings in the currency's exponent. */
  terms(): PaymentTerms {
    return {
      debtorAccountId: this.state.debtorAccountId,
      creditorAccountId: this.state.creditorAccountId,
      amount: fromMinor(this.state.amountMinor, this.state.currency),
      currency: this.state.currency,
    };
  }

  /** risk.assessed: APPROVE → AUTHORIZED, REJECT → REJECTED with the first RISK_* reason. */
  applyRiskDecision(
    decision: RiskAssessedData,
    cause: string,
    stamp: EventStamp,
  ): TransitionOutcome<PaymentAuthorized | PaymentRejected> {
    const mismatch = this.compareTerms(decision);
    if (mismatch) return mismatch;
    if (decision.decision === 'APPROVE') {
      return this.move('AUTHORIZED', null, cause, stamp, (payment) => ({
        ...payment.envelope('payment.authorized', stamp),
        data: { ...payment.terms(), riskScore: decision.score, ruleVersion: decision.ruleVersion },
      }));
    }
    const reason = decision.reasons.find((r) => r.startsWith('RISK_')) ?? 'RISK_REJECTED';
    return this.move('REJECTED', reason, cause, stamp, (payment) => ({
      ...payment.envelope('payment.rejected', stamp),
      data: {
        ...payment.terms(),
        reason,
        reasons: [...decision.reasons],
        riskScore: decision.score,
        ruleVersion: decision.ruleVersion,
      },
    }));
  }

  /** ledger.posted → SETTLED carrying the journal entry's postings. */
  applyLedgerPosted(result: LedgerPostedData, cause: string, stamp: EventStamp): TransitionOutcome<PaymentSettled> {
    const mismatch = this.compareTerms(result);
    if (mismatch) return mismatch;
    return this.move('SETTLED', null, cause, stamp, (payment) => ({
      ...payment.envelope('payment.settled', stamp),
      data: {
        ...payment.terms(),
        journalEntryId: result.journalEntryId,
        postings: result.postings.map((p) => ({ ...p })),
        postedAt: result.postedAt,
      },
    }));
  }

  /** ledger.refused → FAILED with the ledger's reason (INSUFFICIENT_FUNDS, …). */
  applyLedgerRefused(result: LedgerRefusedData, cause: string, stamp: EventStamp): TransitionOutcome<PaymentFailed> {
    const mismatch = this.compareTerms(result);
    if (mismatch) return mismatch;
    return this.move('FAILED', result.reason, cause, stamp, (payment) => ({
      ...payment.envelope('payment.failed', stamp),
      data: { ...payment.terms(), reason: result.reason, refusedAt: result.refusedAt },
    }));
  }

  private move<E extends PaymentEvent>(
    to: PaymentStatus,
    reason: string | null,
    cause: string,
    stamp: EventStamp,
    event: (next: Payment) => E,
  ): TransitionOutcome<E> {
    const from = this.state.status;
    if (!canTransition(from, to)) return { outcome: 'illegal', from, to, repeated: from === to };
    const next = new Payment({
      ...this.state,
      status: to,
      reason,
      version: this.state.version + 1,
      updatedAt: stamp.occurredAt,
    });
    return { outcome: 'applied', payment: next, change: next.changeRecord(stamp, cause), event: event(next) };
  }

  private envelope<T extends PaymentEvent['type']>(type: T, stamp: EventStamp) {
    return {
      eventId: stamp.eventId,
      type,
      occurredAt: stamp.occurredAt.toISOString(),
      paymentId: this.state.id,
      correlationId: stamp.correlationId,
      version: this.state.version,
    };
  }

  private changeRecord(stamp: EventStamp, cause: string | null): StatusChange {
    return {
      status: this.state.status,
      reason: this.state.reason,
      version: this.state.version,
      eventId: stamp.eventId,
      causeEventId: cause,
      occurredAt: stamp.occurredAt,
    };
  }

  private compareTerms(terms: PaymentTerms): TermsMismatch | undefined {
    const fields: string[] = [];
    if (terms.debtorAccountId !== this.state.debtorAccountId) fields.push('debtorAccountId');
    if (terms.creditorAccountId !== this.state.creditorAccountId) fields.push('creditorAccountId');
    if (terms.currency !== this.state.currency) fields.push('currency');
    else if (!sameAmount(terms.amount, this.state.amountMinor, this.state.currency)) fields.push('amount');
    return fields.length ? { outcome: 'terms-mismatch', fields } : undefined;
  }
}

function sameAmount(amount: string, minor: bigint, currency: string): boolean {
  try {
    return toMinor(amount, currency) === minor;
  } catch {
    return false;
  }
}
