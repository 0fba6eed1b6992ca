import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintColumn } from './bigint.transformer';

@Entity({ name: 'postings' })
export class PostingEntity {
  @PrimaryColumn({ name: 'entry_id', type: 'uuid' })
  entryId!: string;

  @PrimaryColumn({ type: 'smallint' })
  seq!: number;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  /** Signed minor units: negative debits the account. */
  @Column({ type: 'bigint', transformer: bigintColumn })
  amount!: bigint;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'posted_at', type: 'timestamptz' })
  postedAt!: Date;
}
