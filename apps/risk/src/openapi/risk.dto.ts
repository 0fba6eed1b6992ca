import { ApiProperty } from '@nestjs/swagger';

// These classes describe the API in the OpenAPI document only; requests are validated by the zod
// schema in rules/risk-rules.ts, the single source of the rules' shape.

export class AmountLimitDto {
  @ApiProperty({ example: '10000.00', description: 'Single-payment limit for every currency without its own' })
  default!: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { JPY: '1500000' } })
  perCurrency!: Record<string, string>;
}

export class VelocityDto {
  @ApiProperty({ example: 600, description: 'Sliding window back from the payment occurredAt' })
  windowSeconds!: number;

  @ApiProperty({ example: 20, description: 'Approved payments per debtor in the window, this one included' })
  maxCount!: number;

  @ApiProperty({ example: '50000.00', description: 'Approved total per debtor and currency in the window' })
  maxAmount!: string;
}

export class NewAccountDto {
  @ApiProperty({ example: 3, description: 'The lower limit applies while the debtor has fewer approved payments' })
  firstPayments!: number;

  @ApiProperty({ example: '1000.00' })
  limit!: string;
}

export class RiskRulesDto {
  @ApiProperty({ type: AmountLimitDto })
  amountLimit!: AmountLimitDto;

  @ApiProperty({ type: VelocityDto })
  velocity!: VelocityDto;

  @ApiProperty({ type: [String], example: ['acc-stolen'] })
  blockedAccounts!: string[];

  @ApiProperty({ type: NewAccountDto })
  newAccount!: NewAccountDto;
}

export class RuleVersionDto {
  @ApiProperty({ example: 2 })
  version!: number;

  @ApiProperty({ example: '2026-11-25T12:00:00.000Z' })
  changedAt!: string;

  @ApiProperty({ type: RiskRulesDto })
  rules!: RiskRulesDto;
}

export class RuleChangeDto extends RuleVersionDto {
  @ApiProperty({ nullable: true, example: 1, type: Number })
  previousVersion!: number | null;

  @ApiProperty({ nullable: true, type: RiskRulesDto })
  previous!: RiskRulesDto | null;

  @ApiProperty({ nullable: true, type: String, description: 'X-Correlation-Id of the change' })
  correlationId!: string | null;
}

export class RuleHistoryDto {
  @ApiProperty({ type: [RuleChangeDto] })
  items!: RuleChangeDto[];
}

export class RiskDecisionDto {
  @ApiProperty() paymentId!: string;
  @ApiProperty({ enum: ['APPROVE', 'REJECT'] }) decision!: 'APPROVE' | 'REJECT';
  @ApiProperty({ example: 0.25, description: '0 to 1: how close the payment came to its nearest limit' })
  score!: number;
  @ApiProperty({ type: [String], example: ['RISK_AMOUNT_LIMIT'] }) reasons!: string[];
  @ApiProperty({ example: 1 }) ruleVersion!: number;
  @ApiProperty() debtorAccountId!: string;
  @ApiProperty() creditorAccountId!: string;
  @ApiProperty({ example: '125.50' }) amount!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty() occurredAt!: string;
  @ApiProperty() decidedAt!: string;
  @ApiProperty() correlationId!: string;
  @ApiProperty({ description: 'eventId of the payment.initiated' }) sourceEventId!: string;
  @ApiProperty({ description: 'eventId of the risk.assessed' }) decisionEventId!: string;
}
