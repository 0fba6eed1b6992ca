import { messagingMigrations } from '@paystream/messaging';
import { PaymentSchema1764080000000 } from './1764080000000-payment-schema';

/** Every migration of the payment database, in order: the messaging runtime's tables, then ours. */
export const paymentMigrations = [...messagingMigrations, PaymentSchema1764080000000];
