import { TOPICS } from '@paystream/contracts';
import { envBool, envInt, SharedConfig, topicName } from '@paystream/platform';
import { z } from 'zod';

/** Payment service variables on top of the shared ones (README: Configuration). */
export const paymentConfigShape = {
  /** How long an Idempotency-Key and its first response are kept (Stripe keeps them 24 h). */
  PAYMENT_IDEMPOTENCY_TTL_HOURS: envInt(24, 24 * 90).default('24'),
  /** How often expired idempotency keys are purged. */
  PAYMENT_IDEMPOTENCY_PURGE_INTERVAL_SECONDS: envInt(1, 86_400).default('300'),
  /** Largest accepted amount, in major units of the payment's currency (a whole number). */
  PAYMENT_MAX_AMOUNT: z
    .string()
    .regex(/^[1-9]\d{0,11}$/, 'must be a whole number of major units between 1 and 999999999999')
    .default('1000000000'),
  /** Most POST /v1/payments requests committed together in one transaction (group commit). */
  PAYMENT_SUBMIT_MAX_BATCH: envInt(1, 500).default('64'),
  /** Most group-commit transactions of POST /v1/payments at once (each holds one pool connection). */
  PAYMENT_SUBMIT_CONCURRENT_BATCHES: envInt(1, 32).default('2'),
  /** Upper bound of `limit` on GET /v1/payments. */
  PAYMENT_LIST_MAX_LIMIT: envInt(1, 1000).default('100'),
  /**
   * Run the saga consumer in this instance (default). `false` makes an API-only instance (the API
   * and the outbox relay), which also starts while Kafka is unreachable.
   */
  PAYMENT_SAGA_ENABLED: envBool.default('true'),
  /** Consumer group of the saga (risk decisions, ledger results). Tests use their own. */
  PAYMENT_CONSUMER_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/)
    .default('payment'),
  /** Where POST and the saga publish payment events (through the outbox). Tests and benchmarks use their own. */
  PAYMENT_EVENTS_TOPIC: topicName.default(TOPICS.paymentEvents),
  /** The saga's input of risk decisions. */
  PAYMENT_RISK_DECISIONS_TOPIC: topicName.default(TOPICS.riskDecisions),
  /** The saga's input of ledger results. */
  PAYMENT_LEDGER_RESULTS_TOPIC: topicName.default(TOPICS.ledgerResults),
  /**
   * Partitions of the saga's inputs processed in parallel, each chunk in its own transaction. A
   * chunk waits on PostgreSQL round trips far more than it computes, so overlapping chunks is what
   * raises the saga's rate (README: saga throughput). Safe: chunks lock their payments in id order,
   * and one payment's decisions arrive one after the other (each follows the event the previous
   * one caused).
   */
  PAYMENT_PARTITIONS_CONCURRENTLY: envInt(1, 64).default('4'),
  /** Where a group without stored offsets starts: the beginning of the topics (default) or their end. */
  PAYMENT_CONSUMER_FROM_BEGINNING: envBool.default('true'),
};

export type PaymentConfig = SharedConfig & z.infer<z.ZodObject<typeof paymentConfigShape>>;
