/**
 * The events of DESIGN.md §4 as TypeScript types. The Avro schemas in ./schemas are the wire
 * contract; a unit test proves the two describe the same fields.
 *
 * Every event is an envelope around the type's data. Amounts are decimal strings in the
 * currency's ISO 4217 exponent ("125.50" EUR, "1000" JPY); postings are signed the same way.
 * `version` is the per-payment sequence: payment.initiated = 1, payment.authorized/rejected = 2,
 * payment.settled/failed = 3. risk.assessed and the ledger results carry the version of the
 * payment event they answer (1 and 2).
 */
export interface Envelope<T extends string, D> {
  eventId: string; // UUIDv7
  type: T;
  occurredAt: string; // ISO-8601 UTC
  paymentId: string;
  correlationId: string;
  version: number;
  data: D;
}

/** Fields every payment-related event repeats so that consumers never need another lookup. */
export interface PaymentTerms {
  debtorAccountId: string;
  creditorAccountId: string;
  amount: string;
  currency: string;
}

export interface Posting {
  accountId: string;
  amount: string; // signed: negative debits the account, positive credits it
  currency: string;
}

export type RejectReason = `RISK_${string}`;
export type LedgerRefusal = 'INSUFFICIENT_FUNDS' | 'ACCOUNT_NOT_FOUND' | 'CURRENCY_MISMATCH';

export interface PaymentInitiatedData extends PaymentTerms {
  reference: string | null;
  metadata: string | null; // the request's metadata object as canonical JSON
}
export interface PaymentAuthorizedData extends PaymentTerms {
  riskScore: number;
  ruleVersion: number;
}
export interface PaymentRejectedData extends PaymentTerms {
  reason: string; // RISK_*
  reasons: string[];
  riskScore: number;
  ruleVersion: number;
}
export interface PaymentSettledData extends PaymentTerms {
  journalEntryId: string;
  postings: Posting[];
  /** The entry's booking time (ISO-8601 UTC), from ledger.posted; null in events written before schema v2. */
  postedAt: string | null;
}
export interface PaymentFailedData extends PaymentTerms {
  reason: string; // INSUFFICIENT_FUNDS, ACCOUNT_NOT_FOUND, CURRENCY_MISMATCH, …
  /** The ledger's refusal time, from ledger.refused; null otherwise and in events written before schema v2. */
  refusedAt: string | null;
}
export interface RiskAssessedData extends PaymentTerms {
  decision: 'APPROVE' | 'REJECT';
  score: number;
  reasons: string[];
  ruleVersion: number;
}
export interface LedgerPostedData extends PaymentTerms {
  journalEntryId: string;
  postings: Posting[];
  /** The entry's booking time (its posted_at, ISO-8601 UTC); null in events written before schema v2. */
  postedAt: string | null;
}
export interface LedgerRefusedData extends PaymentTerms {
  reason: LedgerRefusal;
  /** The refusal's time (its refused_at, ISO-8601 UTC); null in events written before schema v2. */
  refusedAt: string | null;
}

export type PaymentInitiated = Envelope<'payment.initiated', PaymentInitiatedData>;
export type PaymentAuthorized = Envelope<'payment.authorized', PaymentAuthorizedData>;
export type PaymentRejected = Envelope<'payment.rejected', PaymentRejectedData>;
export type PaymentSettled = Envelope<'payment.settled', PaymentSettledData>;
export type PaymentFailed = Envelope<'payment.failed', PaymentFailedData>;
export type RiskAssessed = Envelope<'risk.assessed', RiskAssessedData>;
export type LedgerPosted = Envelope<'ledger.posted', LedgerPostedData>;
export type LedgerRefused = Envelope<'ledger.refused', LedgerRefusedData>;

/** On `payment-events`. */
export type PaymentEvent = PaymentInitiated | PaymentAuthorized | PaymentRejected | PaymentSettled | PaymentFailed;
/** On `risk-decisions`. */
export type RiskDecisionEvent = RiskAssessed;
/** On `ledger-results`. */
export type LedgerResultEvent = LedgerPosted | LedgerRefused;

export type AnyEvent = PaymentEvent | RiskDecisionEvent | LedgerResultEvent;
export type EventType = AnyEvent['type'];

export const EVENT_TYPES = [
  'payment.initiated',
  'payment.authorized',
  'payment.rejected',
  'payment.settled',
  'payment.failed',
  'risk.assessed',
  'ledger.posted',
  'ledger.refused',
] as const satisfies readonly EventType[];

/** Headers on every record (DESIGN.md §4). */
export const EVENT_HEADERS = { type: 'type', eventId: 'eventId', traceparent: 'traceparent' } as const;
