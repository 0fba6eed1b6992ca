import spec from './topics.json';

/** Topic names of the contract (DESIGN.md §3). Keys are the debtor account id on all three. */
export const TOPICS = {
  paymentEvents: 'payment-events',
  riskDecisions: 'risk-decisions',
  ledgerResults: 'ledger-results',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicSpec {
  name: string;
  producer: string;
  consumers: string[];
  config: Record<string, string>;
}

export const TOPIC_SPECS: readonly TopicSpec[] = spec.topics;
export const DEFAULT_PARTITIONS: number = spec.partitions;

/** `<topic>.<group>.dlq`: where a group parks the events it can never apply. */
export function dlqTopic(topic: string, group: string): string {
  return `${topic}.${group}.dlq`;
}
