import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PAYMENT_STATUSES, PaymentStatus } from '../payment/payment-status';
import { METADATA_LIMITS, REFERENCE_MAX_LENGTH } from '../submit-payment/submit-payment.schema';

// These classes describe the API in the OpenAPI document only; requests are validated by the
// zod schema in submit-payment.schema.ts, which is the single source of the rules.

export class SubmitPaymentRequestDto {
  @ApiProperty({ example: 'acc-alice', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' })
  debtorAccountId!: string;

  @ApiProperty({ example: 'acc-bob', description: 'Must differ from debtorAccountId' })
  creditorAccountId!: string;

  @ApiProperty({
    example: '125.50',
    description: 'Positive decimal string with at most the ISO 4217 number of decimals of the currency',
  })
  amount!: string;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217 code' })
  currency!: string;

  @ApiPropertyOptional({ maxLength: REFERENCE_MAX_LENGTH, nullable: true, example: 'Invoice 2026-001' })
  reference?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: `At most ${METADATA_LIMITS.keys} keys, nesting depth ${METADATA_LIMITS.depth}, ${METADATA_LIMITS.bytes} bytes`,
    example: { orderId: 'o-42' },
  })
  metadata?: Record<string, unknown> | null;
}

export class StatusHistoryDto {
  @ApiProperty({ enum: PAYMENT_STATUSES })
  status!: PaymentStatus;

  @ApiProperty({ nullable: true, type: String })
  reason!: string | null;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;
}

export class PaymentSummaryDto {
  @ApiProperty({ format: 'uuid', description: 'UUIDv7' })
  id!: string;

  @ApiProperty({ enum: PAYMENT_STATUSES })
  status!: PaymentStatus;

  @ApiProperty()
  debtorAccountId!: string;

  @ApiProperty()
  creditorAccountId!: string;

  @ApiProperty({ example: '125.50' })
  amount!: string;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ nullable: true, type: String })
  reference!: string | null;

  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true })
  metadata!: Record<string, unknown> | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why a REJECTED or FAILED payment stopped: RISK_*, INSUFFICIENT_FUNDS, ACCOUNT_NOT_FOUND, …',
  })
  reason!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class PaymentDto extends PaymentSummaryDto {
  @ApiProperty({ type: [StatusHistoryDto] })
  statusHistory!: StatusHistoryDto[];
}

export class PaymentPageDto {
  @ApiProperty({ type: [PaymentSummaryDto] })
  items!: PaymentSummaryDto[];

  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page' })
  nextCursor!: string | null;
}
