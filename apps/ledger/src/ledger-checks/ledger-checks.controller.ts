import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ApiProblemResponses, parseOr400 } from '@paystream/platform';
import { checksumQuerySchema } from '../accounts/account.dto';
import { InvariantReport, checkInvariants } from '../persistence/invariants.reader';
import { ledgerChecksum } from '../persistence/ledger.reader';

export class ChecksumResponse {
  @ApiProperty({ description: 'SHA-256 (hex) over the postings in canonical order' }) checksum!: string;
  @ApiProperty() entries!: number;
  @ApiProperty() postings!: number;
  @ApiProperty({ required: false }) asOf?: string;
}

export class InvariantResponse {
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty() holds!: boolean;
  @ApiProperty() violations!: number;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: { type: 'string' } } })
  examples!: Record<string, string>[];
}

export class InvariantsResponse {
  @ApiProperty({ description: 'True when every invariant holds' }) ok!: boolean;
  @ApiProperty({ type: [InvariantResponse] }) invariants!: InvariantReport[];
}

@ApiTags('ledger')
@Controller('v1/ledger')
export class LedgerChecksController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('checksum')
  @ApiOperation({ summary: 'Hash of the whole journal (compare a rebuild with the live ledger)' })
  @ApiQuery({ name: 'asOf', required: false, description: 'Only entries booked at or before this ISO time' })
  @ApiOkResponse({ type: ChecksumResponse })
  @ApiProblemResponses(400)
  async checksum(@Query() query: Record<string, unknown>): Promise<ChecksumResponse> {
    const { asOf } = parseOr400(checksumQuerySchema, query, 'query');
    // One snapshot for the hash and the counts (REPEATABLE READ), while the consumer keeps writing.
    const result = await this.dataSource.transaction('REPEATABLE READ', (m) => ledgerChecksum(m, asOf));
    return { ...result, ...(asOf ? { asOf: asOf.toISOString() } : {}) };
  }

  @Get('invariants')
  @ApiOperation({ summary: 'Each ledger invariant, whether it holds, and offending rows' })
  @ApiOkResponse({ type: InvariantsResponse })
  async invariants(): Promise<InvariantsResponse> {
    const invariants = await this.dataSource.transaction('REPEATABLE READ', (m) => checkInvariants(m));
    return { ok: invariants.every((i) => i.holds), invariants };
  }
}
