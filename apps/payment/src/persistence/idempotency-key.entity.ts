import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  key!: string;

  /** SHA-256 hex of the canonical request body. */
  @Column({ type: 'char', length: 64 })
  fingerprint!: string;

  @Column({ name: 'request_body', type: 'jsonb' })
  requestBody!: unknown;

  @Column({ name: 'response_status', type: 'smallint' })
  responseStatus!: number;

  @Column({ name: 'response_body', type: 'json' })
  responseBody!: unknown;

  @Column({ name: 'payment_id', type: 'uuid', nullable: true })
  paymentId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
