import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintColumn } from './bigint.transformer';

@Entity({ name: 'refusals' })
export class RefusalEntity {
  @PrimaryColumn({ name: 'payment_id', type: 'varchar', length: 64 })
  paymentId!: string;

  @Column({ type: 'varchar', length: 40 })
  reason!: string;

  @Column({ name: 'debtor_account_id', type: 'varchar', length: 64 })
  debtorAccountId!: string;

  @Column({ name: 'creditor_account_id', type: 'varchar', length: 64 })
  creditorAccountId!: string;

  @Column({ type: 'bigint', transformer: bigintColumn })
  amount!: bigint;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'refused_at', type: 'timestamptz' })
  refusedAt!: Date;
}
