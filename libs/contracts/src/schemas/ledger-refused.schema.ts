import { eventSchema, PAYMENT_TERMS_FIELDS, REFUSED_AT_FIELD } from './envelope.schema';

export const ledgerRefusedSchema = eventSchema('LedgerRefused', 'the ledger could not post an authorized payment', [
  ...PAYMENT_TERMS_FIELDS,
  {
    name: 'reason',
    type: {
      type: 'enum',
      name: 'LedgerRefusal',
      symbols: ['INSUFFICIENT_FUNDS', 'ACCOUNT_NOT_FOUND', 'CURRENCY_MISMATCH'],
    },
  },
  REFUSED_AT_FIELD,
]);
