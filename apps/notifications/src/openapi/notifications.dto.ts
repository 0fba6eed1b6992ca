import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALL_EVENTS, SUBSCRIBABLE_EVENTS } from '../webhooks/webhook';

/** OpenAPI descriptions of the notifications API (validation itself is the zod schemas). */
export class CreateWebhookRequestDto {
  @ApiProperty({ example: 'https://hooks.example.com/paystream', description: 'http(s), public address' })
  url!: string;

  @ApiProperty({ enum: [ALL_EVENTS, ...SUBSCRIBABLE_EVENTS], isArray: true, example: ['payment.settled'] })
  events!: string[];

  @ApiPropertyOptional({ description: 'At least 16 printable ASCII characters; generated when absent' })
  secret?: string;
}

export class RotateSecretRequestDto {
  @ApiPropertyOptional({ description: 'The new secret; generated when absent' })
  secret?: string;

  @ApiPropertyOptional({ description: 'How long the previous secret keeps signing (default 24 h)', example: 86400 })
  previousSecretTtlSeconds?: number;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty({ isArray: true, type: String })
  events!: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, description: 'While a rotation is in progress' })
  previousSecretExpiresAt!: string | null;

  @ApiPropertyOptional({ description: 'Only in the answers of create and rotate-secret' })
  secret?: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  items!: WebhookDto[];
}

export class AttemptDto {
  @ApiProperty()
  attempt!: number;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty()
  durationMs!: number;

  @ApiProperty({ nullable: true, type: Number })
  statusCode!: number | null;

  @ApiProperty({ nullable: true, type: String, example: 'HTTP 503: unavailable' })
  error!: string | null;

  @ApiProperty({ description: 'Made by a manual redelivery' })
  manual!: boolean;
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  webhookId!: string;

  @ApiProperty()
  eventId!: string;

  @ApiProperty({ example: 'payment.settled' })
  eventType!: string;

  @ApiProperty({ enum: ['PENDING', 'DELIVERED', 'DEAD', 'CANCELLED'] })
  status!: string;

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  nextAttemptAt!: string | null;

  @ApiProperty({ nullable: true, type: Number })
  lastStatusCode!: number | null;

  @ApiProperty({ nullable: true, type: String })
  lastError!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  deliveredAt!: string | null;

  @ApiProperty({ type: [AttemptDto] })
  attemptLog!: AttemptDto[];
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] })
  items!: DeliveryDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}
