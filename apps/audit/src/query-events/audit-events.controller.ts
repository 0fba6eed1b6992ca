import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { EVENT_TYPES } from '@paystream/contracts';
import { ApiProblemResponses, ProblemException, parseOr400 } from '@paystream/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AuditRecord } from '../chain/audit-record';
import { AuditEventsPageDto } from '../openapi/audit.dto';
import { AuditTrailRepository } from '../persistence/audit-trail.repository';

const id = z.string().min(1).max(64);
const instant = z
  .string()
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
  .transform((s) => new Date(s));

const eventsQuery = z
  .object({
    paymentId: id.optional(),
    accountId: id.optional(),
    type: z.enum(EVENT_TYPES).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(500))
      .default('50'),
    cursor: z.string().max(64).optional(),
  })
  .strict();

/** Opaque to clients: the sequence of the last record of the previous page. */
function encodeCursor(sequence: number): string {
  return Buffer.from(`seq:${sequence}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m)
    throw ProblemException.validation([{ field: 'cursor', message: 'is not a cursor returned by this endpoint' }]);
  return Number(m[1]);
}

export interface AuditEventsPage {
  items: AuditRecord[];
  nextCursor: string | null;
}

@ApiTags('audit')
@Controller('v1/audit/events')
export class AuditEventsController {
  constructor(
    private readonly db: DataSource,
    private readonly trail: AuditTrailRepository,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The audit trail in chain order, filtered; cursor paging' })
  @ApiQuery({ name: 'paymentId', required: false })
  @ApiQuery({ name: 'accountId', required: false, description: 'debtor or creditor' })
  @ApiQuery({ name: 'type', required: false, enum: EVENT_TYPES })
  @ApiQuery({ name: 'from', required: false, description: 'occurredAt ≥ from (ISO-8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'occurredAt < to (ISO-8601)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: AuditEventsPageDto })
  @ApiProblemResponses(400)
  async list(@Query() raw: unknown): Promise<AuditEventsPage> {
    const q = parseOr400(eventsQuery, raw, 'query');
    const items = await this.trail.find(this.db.manager, {
      paymentId: q.paymentId,
      accountId: q.accountId,
      type: q.type,
      from: q.from,
      to: q.to,
      afterSequence: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
      limit: q.limit + 1,
    });
    const more = items.length > q.limit;
    const page = more ? items.slice(0, q.limit) : items;
    return { items: page, nextCursor: more ? encodeCursor(page[page.length - 1].sequence) : null };
  }
}
