import { envInt, SharedConfig, topicName } from '@paystream/platform';
import { TOPICS } from '@paystream/contracts';
import { z } from 'zod';

/** Ledger service variables on top of the shared ones (README: Configuration). */
export const ledgerConfigShape = {
  /** Where payment events are read from (tests point this at their own topic). */
  LEDGER_PAYMENT_EVENTS_TOPIC: topicName.default(TOPICS.paymentEvents),
  /** Where ledger.posted / ledger.refused go. */
  LEDGER_RESULTS_TOPIC: topicName.default(TOPICS.ledgerResults),
  LEDGER_CONSUMER_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/)
    .default('ledger'),
  /** Records per PostgreSQL transaction of the consumer. */
  LEDGER_BATCH_SIZE: envInt(1, 10_000).default('1000'),
  /** Partitions applied in parallel by one instance (each in its own transaction). */
  LEDGER_PARTITIONS_CONCURRENTLY: envInt(1, 64).default('2'),
  /** After how long the group notices a crashed instance and gives its partitions to another. */
  LEDGER_CONSUMER_SESSION_TIMEOUT_MS: envInt(6000, 300_000).default('30000'),
};

export interface LedgerConfig extends SharedConfig {
  LEDGER_PAYMENT_EVENTS_TOPIC: string;
  LEDGER_RESULTS_TOPIC: string;
  LEDGER_CONSUMER_GROUP: string;
  LEDGER_BATCH_SIZE: number;
  LEDGER_PARTITIONS_CONCURRENTLY: number;
  LEDGER_CONSUMER_SESSION_TIMEOUT_MS: number;
}
