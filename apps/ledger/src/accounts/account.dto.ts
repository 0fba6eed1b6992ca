import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { currencyExponent } from '@paystream/money';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../domain/account';

export const createAccountSchema = z
  .object({
    id: z.string().regex(ACCOUNT_ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -').optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like EUR')
      .refine((c) => currencyExponent(c) !== undefined, 'is not an ISO 4217 currency'),
    allowOverdraft: z.boolean().optional(),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();

export type CreateAccountInput = z.infer<typeof createAccountSchema>;

export class CreateAccountRequest {
  @ApiPropertyOptional({ example: 'acc-alice', description: 'Chosen by the caller; a UUIDv7 when absent' })
  id?: string;
  @ApiProperty({ example: 'EUR' })
  currency!: string;
  @ApiPropertyOptional({ default: false, description: 'Funding/settlement accounts may go below zero' })
  allowOverdraft?: boolean;
  @ApiPropertyOptional({ example: 'Alice' })
  name?: string;
}

export class AccountResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ example: '125.50', description: 'Decimal string in the currency exponent' }) balance!: string;
  @ApiProperty() allowOverdraft!: boolean;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ description: 'Present when the balance is as of a point in time' }) asOf?: string;
}

export class StatementLineResponse {
  @ApiProperty() entryId!: string;
  @ApiProperty() paymentId!: string;
  @ApiProperty({ example: '-125.50', description: 'Signed: negative debits the account' }) amount!: string;
  @ApiProperty() currency!: string;
  @ApiProperty() postedAt!: string;
  @ApiProperty({ nullable: true, type: String }) counterpartyAccountId!: string | null;
}

export class StatementResponse {
  @ApiProperty() accountId!: string;
  @ApiProperty({ type: [StatementLineResponse] }) items!: StatementLineResponse[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page' })
  nextCursor!: string | null;
}

const isoTime = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time')
  .transform((s) => new Date(s));

export const accountQuerySchema = z.object({ asOf: isoTime.optional() }).strict();

export const statementQuerySchema = z
  .object({
    limit: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(500))
      .optional(),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,200}$/, 'is not a cursor of this API')
      .optional(),
  })
  .strict();

export const checksumQuerySchema = z.object({ asOf: isoTime.optional() }).strict();
