import { SharedConfig, envInt } from '@paystream/platform';
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
  /** Upper bound of `limit` on GET /v1/payments. */
  PAYMENT_LIST_MAX_LIMIT: envInt(1, 1000).default('100'),
};

export type PaymentConfig = SharedConfig & z.infer<z.ZodObject<typeof paymentConfigShape>>;
