import type { AnyEvent, EventType } from '../events';

export type EventOfType<K extends EventType> = Extract<AnyEvent, { type: K }>;

const terms = {
  debtorAccountId: 'acc-debtor-0001',
  creditorAccountId: 'acc-creditor-0002',
  amount: '125.50',
  currency: 'EUR',
};

const envelope = {
  occurredAt: '2026-11-25T12:00:00.000Z',
  paymentId: '0193a4f0-0000-7000-8000-00000000a001',
  correlationId: 'corr-0001',
};

const postings = [
  { accountId: terms.debtorAccountId, amount: '-125.50', currency: 'EUR' },
  { accountId: terms.creditorAccountId, amount: '125.50', currency: 'EUR' },
];

/**
 * One fully populated example of every event type, typed against events.ts: the compiler refuses
 * a missing or unknown field here, and the schema tests check the same object against the Avro
 * schema, which together keeps the two in sync. Also handy for other tests (copy, then override).
 */
export const EVENT_EXAMPLES: { readonly [K in EventType]: EventOfType<K> } = {
  'payment.initiated': {
    eventId: '0193a4f0-0000-7000-8000-000000000001',
    type: 'payment.initiated',
    ...envelope,
    version: 1,
    data: { ...terms, reference: 'invoice 42', metadata: '{"orderId":"o-1"}' },
  },
  'payment.authorized': {
    eventId: '0193a4f0-0000-7000-8000-000000000002',
    type: 'payment.authorized',
    ...envelope,
    version: 2,
    data: { ...terms, riskScore: 12.5, ruleVersion: 3 },
  },
  'payment.rejected': {
    eventId: '0193a4f0-0000-7000-8000-000000000003',
    type: 'payment.rejected',
    ...envelope,
    version: 2,
    data: {
      ...terms,
      reason: 'RISK_AMOUNT_LIMIT',
      reasons: ['RISK_AMOUNT_LIMIT', 'RISK_VELOCITY'],
      riskScore: 97,
      ruleVersion: 3,
    },
  },
  'payment.settled': {
    eventId: '0193a4f0-0000-7000-8000-000000000004',
    type: 'payment.settled',
    ...envelope,
    version: 3,
    data: { ...terms, journalEntryId: 'je-0001', postings, postedAt: '2026-01-15T10:00:01.000Z' },
  },
  'payment.failed': {
    eventId: '0193a4f0-0000-7000-8000-000000000005',
    type: 'payment.failed',
    ...envelope,
    version: 3,
    data: { ...terms, reason: 'INSUFFICIENT_FUNDS', refusedAt: '2026-01-15T10:00:01.000Z' },
  },
  'risk.assessed': {
    eventId: '0193a4f0-0000-7000-8000-000000000006',
    type: 'risk.assessed',
    ...envelope,
    version: 1,
    data: { ...terms, decision: 'APPROVE', score: 12.5, reasons: [], ruleVersion: 3 },
  },
  'ledger.posted': {
    eventId: '0193a4f0-0000-7000-8000-000000000007',
    type: 'ledger.posted',
    ...envelope,
    version: 2,
    data: { ...terms, journalEntryId: 'je-0001', postings, postedAt: '2026-01-15T10:00:01.000Z' },
  },
  'ledger.refused': {
    eventId: '0193a4f0-0000-7000-8000-000000000008',
    type: 'ledger.refused',
    ...envelope,
    version: 2,
    data: { ...terms, reason: 'CURRENCY_MISMATCH', refusedAt: '2026-01-15T10:00:01.000Z' },
  },
};
