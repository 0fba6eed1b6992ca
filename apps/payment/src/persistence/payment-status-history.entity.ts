import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { PaymentStatus } from '../payment/payment-status';

@Entity({ name: 'payment_status_history' })
export class PaymentStatusHistoryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'payment_id', type: 'uuid' })
  paymentId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: PaymentStatus;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'cause_event_id', type: 'uuid', nullable: true })
  causeEventId!: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
