import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'journal_entries' })
export class JournalEntryEntity {
  /** UUIDv5 of the payment id (domain/journal.ts), so a replay reproduces it. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'payment_id', type: 'varchar', length: 64, unique: true })
  paymentId!: string;

  /** When the payment was authorized (the event's occurredAt), not when this row was written. */
  @Column({ name: 'posted_at', type: 'timestamptz' })
  postedAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
