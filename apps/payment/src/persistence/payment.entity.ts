import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Metadata } from '../payment/payment';
import type { PaymentStatus } from '../payment/payment-status';

/** BIGINT ↔ bigint: money never passes through a JavaScript number. */
export const bigintColumn = {
  to: (value: bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
  from: (value: string | null) => (value === null ? null : BigInt(value)),
};

@Entity({ name: 'payments' })
export class PaymentEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'debtor_account_id', type: 'varchar', length: 64 })
  debtorAccountId!: string;

  @Column({ name: 'creditor_account_id', type: 'varchar', length: 64 })
  creditorAccountId!: string;

  @Column({ name: 'amount_minor', type: 'bigint', transformer: bigintColumn })
  amountMinor!: bigint;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'varchar', length: 140, nullable: true })
  reference!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  metadata!: Metadata | null;

  @Column({ type: 'varchar', length: 16 })
  status!: PaymentStatus;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'correlation_id', type: 'varchar', length: 128 })
  correlationId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
