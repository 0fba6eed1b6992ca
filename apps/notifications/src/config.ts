import { TOPICS } from '@paystream/contracts';
import { envBool, envInt, SharedConfig, topicName } from '@paystream/platform';
import { z } from 'zod';

/** Notifications service variables on top of the shared ones (README: Configuration). */
export const notificationsConfigShape = {
  /** The topic the `notifications` group consumes (tests point it at their own topic). */
  NOTIFICATIONS_TOPIC: topicName.default(TOPICS.paymentEvents),
  NOTIFICATIONS_CONSUMER_GROUP: z.string().min(1).default('notifications'),
  /** Records per consumer transaction. */
  NOTIFICATIONS_BATCH_SIZE: envInt(1, 5000).default('2000'),
  /** Development and tests only: allow webhook URLs on loopback/private/link-local addresses. */
  NOTIFICATIONS_ALLOW_PRIVATE_URLS: envBool.default('false'),
  /** How long the previous secret keeps signing after a rotation. */
  NOTIFICATIONS_SECRET_GRACE_SECONDS: envInt(0, 30 * 86_400).default('86400'),
  NOTIFICATIONS_DISPATCH_ENABLED: envBool.default('true'),
  NOTIFICATIONS_DISPATCH_INTERVAL_MS: envInt(10, 60_000).default('500'),
  /** Deliveries claimed per poll. */
  NOTIFICATIONS_DISPATCH_BATCH: envInt(1, 1000).default('50'),
  NOTIFICATIONS_DELIVERY_TIMEOUT_MS: envInt(100, 120_000).default('10000'),
  /** Attempts of one delivery before it is dead; with the defaults the last is about a day after the first. */
  NOTIFICATIONS_MAX_ATTEMPTS: envInt(1, 50).default('15'),
  NOTIFICATIONS_RETRY_BASE_MS: envInt(1, 3_600_000).default('10000'),
  NOTIFICATIONS_RETRY_MAX_MS: envInt(1, 86_400_000).default('21600000'),
  /** Requests in flight to one webhook at a time (across every dispatcher instance). */
  NOTIFICATIONS_ENDPOINT_CONCURRENCY: envInt(1, 100).default('4'),
};

type NotificationsVariables = z.infer<z.ZodObject<typeof notificationsConfigShape>>;

export type NotificationsConfig = SharedConfig & NotificationsVariables;
