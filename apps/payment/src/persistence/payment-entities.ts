import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { PaymentStatusHistoryEntity } from './payment-status-history.entity';
import { PaymentEntity } from './payment.entity';

/** The TypeORM entities of the payment database (the schema itself comes from migrations). */
export const paymentEntities = [PaymentEntity, PaymentStatusHistoryEntity, IdempotencyKeyEntity];
