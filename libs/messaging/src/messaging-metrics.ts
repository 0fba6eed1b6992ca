import type { Metrics } from '@paystream/observability';
import type { Counter, Gauge, Histogram } from 'prom-client';

type GT = 'group' | 'topic';

/** The consumer's metrics (labels group and topic; lag also per partition). */
export interface ConsumerMetrics {
  consumed: Counter<GT>;
  applied: Counter<GT>;
  duplicates: Counter<GT>;
  skipped: Counter<GT>;
  dlq: Counter<GT>;
  retries: Counter<GT>;
  unknownErrors: Counter<GT>;
  batchSize: Histogram<GT>;
  batchSeconds: Histogram<GT>;
  lag: Gauge<GT | 'partition'>;
}

export function consumerMetrics(metrics: Metrics): ConsumerMetrics {
  const gt = ['group', 'topic'] as const;
  return {
    consumed: metrics.counter('messaging_consumer_consumed_total', 'Records fetched by the exactly-once consumer', gt),
    applied: metrics.counter('messaging_consumer_applied_total', 'Events whose handler ran and committed', gt),
    duplicates: metrics.counter(
      'messaging_consumer_duplicates_total',
      'Events skipped because (group, eventId) was already applied',
      gt,
    ),
    skipped: metrics.counter(
      'messaging_consumer_skipped_total',
      'Records of event types the group does not accept (acceptTypes), passed over undecoded',
      gt,
    ),
    dlq: metrics.counter('messaging_consumer_dlq_total', 'Records sent to the dead-letter topic', gt),
    retries: metrics.counter('messaging_consumer_retries_total', 'Chunk attempts rolled back and retried', gt),
    unknownErrors: metrics.counter(
      'messaging_consumer_unknown_errors_total',
      'Errors neither known transient nor permanent (retried, then DLQ)',
      gt,
    ),
    batchSize: metrics.histogram(
      'messaging_consumer_batch_size',
      'Records per committed chunk',
      gt,
      [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
    ),
    batchSeconds: metrics.histogram(
      'messaging_consumer_batch_seconds',
      'Time from chunk start to PostgreSQL commit',
      gt,
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
    lag: metrics.gauge('messaging_consumer_lag', 'High watermark minus next offset, per partition', [
      'group',
      'topic',
      'partition',
    ]),
  };
}

export interface RelayMetrics {
  published: Counter<'topic'>;
  failed: Counter<'topic'>;
  pending: Gauge;
}

export function relayMetrics(metrics: Metrics): RelayMetrics {
  return {
    published: metrics.counter('messaging_outbox_published_total', 'Outbox rows published to Kafka', ['topic']),
    failed: metrics.counter(
      'messaging_outbox_failed_total',
      'Outbox rows that can never be encoded (parked, see README)',
      ['topic'],
    ),
    pending: metrics.gauge('messaging_outbox_pending', 'Outbox rows not yet published'),
  };
}
