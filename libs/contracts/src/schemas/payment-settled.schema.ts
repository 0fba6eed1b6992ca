import { eventSchema, PAYMENT_TERMS_FIELDS, POSTED_AT_FIELD, POSTINGS_FIELD } from './envelope.schema';

export const paymentSettledSchema = eventSchema('PaymentSettled', 'ledger posted: SETTLED', [
  ...PAYMENT_TERMS_FIELDS,
  { name: 'journalEntryId', type: 'string' },
  POSTINGS_FIELD,
  POSTED_AT_FIELD,
]);
