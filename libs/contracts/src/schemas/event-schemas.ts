import type { EventType } from '../events';
import { TOPICS, TopicName } from '../topics';
import { AvroRecord, EVENTS_NAMESPACE } from './avro-schema';
import { ledgerPostedSchema } from './ledger-posted.schema';
import { ledgerRefusedSchema } from './ledger-refused.schema';
import { paymentAuthorizedSchema } from './payment-authorized.schema';
import { paymentFailedSchema } from './payment-failed.schema';
import { paymentInitiatedSchema } from './payment-initiated.schema';
import { paymentRejectedSchema } from './payment-rejected.schema';
import { paymentSettledSchema } from './payment-settled.schema';
import { riskAssessedSchema } from './risk-assessed.schema';

/** The current (latest) value schema of every event type. */
export const EVENT_SCHEMAS = {
  'payment.initiated': paymentInitiatedSchema,
  'payment.authorized': paymentAuthorizedSchema,
  'payment.rejected': paymentRejectedSchema,
  'payment.settled': paymentSettledSchema,
  'payment.failed': paymentFailedSchema,
  'risk.assessed': riskAssessedSchema,
  'ledger.posted': ledgerPostedSchema,
  'ledger.refused': ledgerRefusedSchema,
} as const satisfies Record<EventType, AvroRecord>;

/** The contract topic that carries each event type (DESIGN.md §3). */
export const EVENT_TOPIC = {
  'payment.initiated': TOPICS.paymentEvents,
  'payment.authorized': TOPICS.paymentEvents,
  'payment.rejected': TOPICS.paymentEvents,
  'payment.settled': TOPICS.paymentEvents,
  'payment.failed': TOPICS.paymentEvents,
  'risk.assessed': TOPICS.riskDecisions,
  'ledger.posted': TOPICS.ledgerResults,
  'ledger.refused': TOPICS.ledgerResults,
} as const satisfies Record<EventType, TopicName>;

/** The event types a contract topic carries. */
export const TOPIC_EVENT_TYPES: Readonly<Record<TopicName, readonly EventType[]>> = (() => {
  const byTopic: Record<TopicName, EventType[]> = {
    [TOPICS.paymentEvents]: [],
    [TOPICS.riskDecisions]: [],
    [TOPICS.ledgerResults]: [],
  };
  for (const [type, topic] of Object.entries(EVENT_TOPIC) as [EventType, TopicName][]) byTopic[topic].push(type);
  return byTopic;
})();

/** `io.paystream.events.PaymentInitiated`: the record full name, the second half of the subject. */
export function schemaFullName(type: EventType): string {
  return `${EVENTS_NAMESPACE}.${EVENT_SCHEMAS[type].name}`;
}

const TYPE_BY_FULL_NAME: ReadonlyMap<string, EventType> = new Map(
  (Object.keys(EVENT_SCHEMAS) as EventType[]).map((type) => [schemaFullName(type), type]),
);

/** The event type a record full name stands for, or undefined for a record outside the contract. */
export function eventTypeOfFullName(fullName: string): EventType | undefined {
  return TYPE_BY_FULL_NAME.get(fullName);
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS, value);
}

/** TopicRecordNameStrategy: `<topic>-<record full name>`, so one topic can carry several event types. */
export function subjectName(topic: string, type: EventType): string {
  return `${topic}-${schemaFullName(type)}`;
}

export interface ContractSubject {
  subject: string;
  topic: TopicName;
  type: EventType;
  schema: AvroRecord;
}

/** Every subject of the contract topics: what a service registers at start-up. */
export const CONTRACT_SUBJECTS: readonly ContractSubject[] = (Object.keys(EVENT_SCHEMAS) as EventType[]).map(
  (type) => ({
    subject: subjectName(EVENT_TOPIC[type], type),
    topic: EVENT_TOPIC[type],
    type,
    schema: EVENT_SCHEMAS[type],
  }),
);
