import { TOPICS } from '@paystream/contracts';
import { envInt, SharedConfig, topicName } from '@paystream/platform';
import { z } from 'zod';

/** Analytics service variables on top of the shared ones (README: Configuration). */
export const analyticsConfigShape = {
  /** The topic the `analytics` group consumes (tests point it at their own topic). */
  ANALYTICS_TOPIC: topicName.default(TOPICS.paymentEvents),
  ANALYTICS_CONSUMER_GROUP: z.string().min(1).default('analytics'),
  /** Records per consumer transaction: larger chunks mean fewer, bigger upserts. */
  ANALYTICS_BATCH_SIZE: envInt(1, 5000).default('2000'),
};

type AnalyticsVariables = z.infer<z.ZodObject<typeof analyticsConfigShape>>;

export type AnalyticsConfig = SharedConfig & AnalyticsVariables;
