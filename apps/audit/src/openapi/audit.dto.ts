import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// The OpenAPI description of the audit API; the query is validated by zod in the controller.

export class AuditRecordDto {
  @ApiProperty({ example: 1 }) sequence!: number;
  @ApiProperty() eventId!: string;
  @ApiProperty({ example: 'payment.initiated' }) type!: string;
  @ApiProperty({ example: 'payment-events' }) topic!: string;
  @ApiProperty() partition!: number;
  @ApiProperty({ example: '42' }) offset!: string;
  @ApiProperty() paymentId!: string;
  @ApiProperty({ nullable: true, type: String }) debtorAccountId!: string | null;
  @ApiProperty({ nullable: true, type: String }) creditorAccountId!: string | null;
  @ApiProperty() occurredAt!: string;
  @ApiProperty() recordedAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The event as consumed' }) event!: object;
  @ApiProperty({ description: 'hash of the record before, 64 zeros for the first' }) previousHash!: string;
  @ApiProperty({ description: 'SHA-256 hex of canonicalJson(record) + previousHash' }) hash!: string;
}

export class AuditEventsPageDto {
  @ApiProperty({ type: [AuditRecordDto] }) items!: AuditRecordDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ChainBreakDto {
  @ApiProperty() sequence!: number;
  @ApiProperty({ nullable: true, type: String }) eventId!: string | null;
  @ApiProperty({ enum: ['SEQUENCE_GAP', 'PREVIOUS_HASH_MISMATCH', 'HASH_MISMATCH', 'HEAD_MISMATCH'] }) reason!: string;
  @ApiProperty() detail!: string;
}

export class VerifyResultDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ description: 'records checked (up to and including the first invalid one)' }) events!: number;
  @ApiPropertyOptional({ type: ChainBreakDto }) firstInvalid?: ChainBreakDto;
}
