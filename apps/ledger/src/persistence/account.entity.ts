import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintColumn } from './bigint.transformer';

@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'allow_overdraft', type: 'boolean', default: false })
  allowOverdraft!: boolean;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name!: string | null;

  /** Current balance in minor units, updated in the transaction that writes the postings. */
  @Column({ type: 'bigint', transformer: bigintColumn, default: 0 })
  balance!: bigint;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
