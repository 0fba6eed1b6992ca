import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, ApiProblemResponses, ProblemException } from '@paystream/platform';
import { z } from 'zod';
import type { PaymentConfig } from '../config';
import { PaymentDto, PaymentPageDto } from '../openapi/payment.dto';
import { PAYMENT_STATUSES } from '../payment/payment-status';
import { PaymentSummaryView, PaymentView, toPaymentView, toSummaryView } from '../payment/payment.view';
import { PaymentRepository } from '../persistence/payment.repository';
import { ACCOUNT_ID_PATTERN } from '../submit-payment/submit-payment.schema';
import { decodeCursor, encodeCursor, isUuid } from './payment-cursor';

const DEFAULT_LIMIT = 20;

function listQuery(maxLimit: number) {
  return z
    .object({
      accountId: z.string().regex(ACCOUNT_ID_PATTERN, 'is not an account id').optional(),
      status: z.enum(PAYMENT_STATUSES).optional(),
      limit: z
        .string()
        .regex(/^\d{1,4}$/, 'must be a whole number')
        .transform(Number)
        .pipe(z.number().int().min(1).max(maxLimit))
        .optional(),
      cursor: z.string().optional(),
    })
    .strict();
}

@ApiTags('payments')
@Controller('v1/payments')
export class PaymentQueryController {
  private readonly query;
  private readonly defaultLimit;

  constructor(
    private readonly payments: PaymentRepository,
    @Inject(APP_CONFIG) config: PaymentConfig,
  ) {
    this.query = listQuery(config.PAYMENT_LIST_MAX_LIMIT);
    this.defaultLimit = Math.min(DEFAULT_LIMIT, config.PAYMENT_LIST_MAX_LIMIT);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A payment with its status history' })
  @ApiOkResponse({ type: PaymentDto })
  @ApiProblemResponses(404)
  async get(@Param('id') id: string): Promise<PaymentView> {
    const found = isUuid(id) ? await this.payments.findWithHistory(id) : undefined;
    if (!found) {
      throw ProblemException.of(404, 'payment-not-found', 'No such payment', { detail: `payment ${id} not found` });
    }
    return toPaymentView(found.state, found.history);
  }

  @Get()
  @ApiOperation({ summary: 'Payments, newest first, by account (debtor or creditor) and status' })
  @ApiQuery({ name: 'accountId', required: false })
  @ApiQuery({ name: 'status', required: false, enum: PAYMENT_STATUSES })
  @ApiQuery({ name: 'limit', required: false, description: `1-max, default ${DEFAULT_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: PaymentPageDto })
  @ApiProblemResponses(400)
  async list(
    @Query() raw: Record<string, unknown>,
  ): Promise<{ items: PaymentSummaryView[]; nextCursor: string | null }> {
    const parsed = this.query.safeParse(raw);
    if (!parsed.success) {
      throw ProblemException.validation(
        parsed.error.issues.flatMap((i) =>
          i.code === z.ZodIssueCode.unrecognized_keys
            ? i.keys.map((k) => ({ field: k, message: 'is not a query parameter of this endpoint' }))
            : [{ field: i.path.join('.') || '(query)', message: i.message }],
        ),
      );
    }
    const { accountId, status, cursor } = parsed.data;
    const limit = parsed.data.limit ?? this.defaultLimit;
    const beforeId = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && beforeId === undefined) {
      throw ProblemException.validation([{ field: 'cursor', message: 'is not a cursor returned by this endpoint' }]);
    }
    // One row more than the page tells whether there is a next page without a count query.
    const rows = await this.payments.list({ accountId, status, beforeId, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toSummaryView),
      nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
    };
  }
}
