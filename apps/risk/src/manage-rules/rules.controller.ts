import { Body, Controller, Get, Headers, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CORRELATION_HEADER, currentCorrelationId } from '@paystream/observability';
import { ApiProblemResponses, parseOr400 } from '@paystream/platform';
import { z } from 'zod';
import { RiskRulesDto, RuleChangeDto, RuleHistoryDto, RuleVersionDto } from '../openapi/risk.dto';
import { RuleChange, RuleVersion } from '../persistence/rules.repository';
import { riskRulesSchema } from '../rules/risk-rules';
import { RulesService } from './rules.service';

export interface RuleVersionView {
  version: number;
  changedAt: string;
  rules: z.infer<typeof riskRulesSchema>;
}

export interface RuleChangeView extends RuleVersionView {
  previousVersion: number | null;
  previous: z.infer<typeof riskRulesSchema> | null;
  correlationId: string | null;
}

const historyQuery = z
  .object({
    limit: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(500))
      .default('50'),
    before: z.string().regex(/^\d+$/, 'must be a version number').transform(Number).optional(),
  })
  .strict();

@ApiTags('rules')
@Controller('v1/risk/rules')
export class RulesController {
  constructor(private readonly rules: RulesService) {}

  @Get()
  @ApiOperation({ summary: 'The rules in force, with their version' })
  @ApiOkResponse({ type: RuleVersionDto })
  async get(): Promise<RuleVersionView> {
    return versionView(await this.rules.current());
  }

  @Put()
  @ApiOperation({ summary: 'Replace the rules: a new version, in force from the next event on' })
  @ApiBody({ type: RiskRulesDto })
  @ApiOkResponse({ type: RuleChangeDto })
  @ApiProblemResponses(400)
  async put(@Body() body: unknown, @Headers(CORRELATION_HEADER) given?: string): Promise<RuleChangeView> {
    const rules = parseOr400(riskRulesSchema, body);
    // The header itself, not only the request scope: the scope does not always survive body parsing.
    const correlationId = given && /^[\w.:-]{1,128}$/.test(given) ? given : (currentCorrelationId() ?? null);
    return changeView(await this.rules.replace(rules, correlationId));
  }

  @Get('history')
  @ApiOperation({ summary: 'Every rule change, newest first: version, time, previous → new' })
  @ApiOkResponse({ type: RuleHistoryDto })
  @ApiProblemResponses(400)
  async history(@Query() query: unknown): Promise<{ items: RuleChangeView[] }> {
    const { limit, before } = parseOr400(historyQuery, query, 'query');
    const changes = await this.rules.history(limit, before);
    return { items: changes.map(changeView) };
  }
}

function versionView(v: RuleVersion): RuleVersionView {
  return { version: v.version, changedAt: v.changedAt.toISOString(), rules: v.rules };
}

function changeView(c: RuleChange): RuleChangeView {
  return {
    ...versionView(c),
    previousVersion: c.previous ? c.version - 1 : null,
    previous: c.previous,
    correlationId: c.correlationId,
  };
}
