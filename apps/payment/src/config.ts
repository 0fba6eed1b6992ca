import type { SharedConfig } from '@paystream/platform';

/** Payment service variables on top of the shared ones (README: Configuration). */
export const paymentConfigShape = {};

export type PaymentConfig = SharedConfig;
