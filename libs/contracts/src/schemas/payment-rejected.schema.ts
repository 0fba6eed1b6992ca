import { eventSchema, PAYMENT_TERMS_FIELDS } from './envelope.schema';

export const paymentRejectedSchema = eventSchema('PaymentRejected', 'risk rejected: REJECTED', [
  ...PAYMENT_TERMS_FIELDS,
  { name: 'reason', type: 'string', doc: 'RISK_*' },
  { name: 'reasons', type: { type: 'array', items: 'string' } },
  { name: 'riskScore', type: 'double' },
  { name: 'ruleVersion', type: 'int' },
]);
