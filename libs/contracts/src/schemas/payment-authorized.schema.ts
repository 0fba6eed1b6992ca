import { eventSchema, PAYMENT_TERMS_FIELDS } from './envelope.schema';

export const paymentAuthorizedSchema = eventSchema('PaymentAuthorized', 'risk approved: AUTHORIZED', [
  ...PAYMENT_TERMS_FIELDS,
  { name: 'riskScore', type: 'double' },
  { name: 'ruleVersion', type: 'int' },
]);
