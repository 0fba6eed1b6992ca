import { eventSchema, PAYMENT_TERMS_FIELDS, REFUSED_AT_FIELD } from './envelope.schema';

export const paymentFailedSchema = eventSchema('PaymentFailed', 'ledger refused: FAILED', [
  ...PAYMENT_TERMS_FIELDS,
  { name: 'reason', type: 'string', doc: 'INSUFFICIENT_FUNDS, ACCOUNT_NOT_FOUND, CURRENCY_MISMATCH, …' },
  REFUSED_AT_FIELD,
]);
