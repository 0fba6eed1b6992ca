import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The final status of a payment as payment-events told the ledger (payment.settled / payment.failed). */
@Entity({ name: 'payment_outcomes' })
export class PaymentOutcomeEntity {
  @PrimaryColumn({ name: 'payment_id', type: 'varchar', length: 64 })
  paymentId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: 'SETTLED' | 'FAILED';

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
