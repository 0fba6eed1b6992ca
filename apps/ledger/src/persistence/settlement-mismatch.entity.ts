import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A payment.settled whose postings differ from the journal: recorded and alarmed, never "fixed". */
@Entity({ name: 'settlement_mismatches' })
export class SettlementMismatchEntity {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'payment_id', type: 'varchar', length: 64 })
  paymentId!: string;

  @Column({ type: 'varchar', length: 32 })
  reason!: string;

  @Column({ type: 'text' })
  detail!: string;

  @CreateDateColumn({ name: 'detected_at', type: 'timestamptz' })
  detectedAt!: Date;
}
