import { AvroField, AvroRecord, EVENTS_NAMESPACE } from './avro-schema';

/**
 * Builds an event's schema: the envelope of DESIGN.md §4 around the type's data record. The
 * envelope fields come first and in the same order in every event, so a generic reader (audit)
 * sees one shape.
 */
export function eventSchema<const N extends string, const F extends readonly AvroField[]>(
  name: N,
  doc: string,
  dataFields: F,
) {
  return {
    type: 'record',
    name,
    namespace: EVENTS_NAMESPACE,
    doc,
    fields: [
      { name: 'eventId', type: { type: 'string', logicalType: 'uuid' }, doc: 'UUIDv7, unique forever' },
      { name: 'type', type: 'string', doc: 'the event type, e.g. payment.initiated' },
      { name: 'occurredAt', type: 'string', doc: 'ISO-8601 UTC' },
      { name: 'paymentId', type: 'string' },
      { name: 'correlationId', type: 'string' },
      { name: 'version', type: 'int', doc: 'per-payment sequence number starting at 1' },
      { name: 'data', type: { type: 'record', name: `${name}Data`, fields: dataFields } },
    ],
  } as const satisfies AvroRecord;
}

/** PaymentTerms: repeated in every event so that consumers never need another lookup. */
export const PAYMENT_TERMS_FIELDS = [
  { name: 'debtorAccountId', type: 'string' },
  { name: 'creditorAccountId', type: 'string' },
  { name: 'amount', type: 'string', doc: 'decimal string in the currency exponent, e.g. "125.50"' },
  { name: 'currency', type: 'string', doc: 'ISO 4217 code' },
] as const satisfies readonly AvroField[];

export const POSTINGS_FIELD = {
  name: 'postings',
  type: {
    type: 'array',
    items: {
      type: 'record',
      name: 'Posting',
      fields: [
        { name: 'accountId', type: 'string' },
        { name: 'amount', type: 'string', doc: 'signed decimal string: negative debits, positive credits' },
        { name: 'currency', type: 'string' },
      ],
    },
  },
} as const satisfies AvroField;

/**
 * The ledger's booking time of a journal entry (its `posted_at`), carried by ledger.posted and
 * copied into payment.settled so that a replay books the entry without reading payment.authorized.
 * Added in v2 of both subjects: null in events written before (a reader then falls back to the
 * payment's authorization time).
 */
export const POSTED_AT_FIELD = {
  name: 'postedAt',
  type: ['null', 'string'],
  default: null,
  doc: 'ISO-8601 UTC booking time of the journal entry; null in events written before v2',
} as const satisfies AvroField;

/** The ledger's refusal time (`refused_at`), on ledger.refused and payment.failed; as POSTED_AT_FIELD. */
export const REFUSED_AT_FIELD = {
  name: 'refusedAt',
  type: ['null', 'string'],
  default: null,
  doc: 'ISO-8601 UTC time the ledger refused the payment; null when not a ledger refusal or written before v2',
} as const satisfies AvroField;
