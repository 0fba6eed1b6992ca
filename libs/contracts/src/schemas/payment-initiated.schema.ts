import { eventSchema, PAYMENT_TERMS_FIELDS } from './envelope.schema';

export const paymentInitiatedSchema = eventSchema('PaymentInitiated', 'POST /v1/payments accepted: PENDING', [
  ...PAYMENT_TERMS_FIELDS,
  { name: 'reference', type: ['null', 'string'], default: null },
  { name: 'metadata', type: ['null', 'string'], default: null, doc: 'the request metadata as canonical JSON' },
]);
