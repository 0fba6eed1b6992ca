import { TOPICS } from '@paystream/contracts';
import { envInt, SharedConfig, topicName } from '@paystream/platform';
import { z } from 'zod';

/** Risk service variables on top of the shared ones (README: Configuration). */
export const riskConfigShape = {
  /** The single-payment limit of a fresh install's default rules (any currency, in its exponent). */
  RISK_AMOUNT_LIMIT: z
    .string()
    .regex(/^(0|[1-9]\d{0,14})(\.\d{1,4})?$/, 'must be a decimal amount like "10000.00"')
    .default('10000.00'),
  RISK_CONSUMER_GROUP: z.string().min(1).default('risk'),
  RISK_INPUT_TOPIC: topicName.default(TOPICS.paymentEvents),
  RISK_OUTPUT_TOPIC: topicName.default(TOPICS.riskDecisions),
  /**
   * kafka-transaction (default): decisions and consumed offsets commit in one Kafka transaction.
   * database: decisions go through the outbox and its relay (the benchmark's baseline).
   */
  RISK_CONSUMER_MODE: z.enum(['kafka-transaction', 'database']).default('kafka-transaction'),
  /** Events per transaction (PostgreSQL and, in kafka-transaction mode, Kafka). */
  RISK_MAX_BATCH_SIZE: envInt(1, 10_000).default('1000'),
  /**
   * Partitions processed in parallel, each chunk in its own transactions. Safe for velocity: one
   * debtor's events are on one partition, so its state is never written by two chunks at once.
   * Default 12, the contract's partition count: each chunk's Kafka transaction (five broker round
   * trips) overlaps the other partitions' decoding and PostgreSQL work instead of queueing them
   * (docs/design-notes.md, "Per-hop latency").
   */
  RISK_PARTITIONS_CONCURRENTLY: envInt(1, 64).default('12'),
};

export interface RiskSettings {
  RISK_AMOUNT_LIMIT: string;
  RISK_CONSUMER_GROUP: string;
  RISK_INPUT_TOPIC: string;
  RISK_OUTPUT_TOPIC: string;
  RISK_CONSUMER_MODE: 'kafka-transaction' | 'database';
  RISK_MAX_BATCH_SIZE: number;
  RISK_PARTITIONS_CONCURRENTLY: number;
}

export type RiskConfig = SharedConfig & RiskSettings;
