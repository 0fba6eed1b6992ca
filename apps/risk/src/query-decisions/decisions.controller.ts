import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { fromMinor } from '@paystream/money';
import { ApiProblemResponses, ProblemException } from '@paystream/platform';
import { DataSource } from 'typeorm';
import { RiskDecisionDto } from '../openapi/risk.dto';
import { DecisionsRepository, StoredDecision } from '../persistence/decisions.repository';

export interface DecisionView {
  paymentId: string;
  decision: 'APPROVE' | 'REJECT';
  score: number;
  reasons: string[];
  ruleVersion: number;
  debtorAccountId: string;
  creditorAccountId: string;
  amount: string;
  currency: string;
  occurredAt: string;
  decidedAt: string;
  correlationId: string;
  sourceEventId: string;
  decisionEventId: string;
}

@ApiTags('decisions')
@Controller('v1/risk/decisions')
export class DecisionsController {
  constructor(
    private readonly db: DataSource,
    private readonly decisions: DecisionsRepository,
  ) {}

  @Get(':paymentId')
  @ApiOperation({ summary: 'The risk decision taken for a payment' })
  @ApiOkResponse({ type: RiskDecisionDto })
  @ApiProblemResponses(404)
  async get(@Param('paymentId') paymentId: string): Promise<DecisionView> {
    const found = paymentId.length <= 64 ? await this.decisions.find(this.db.manager, paymentId) : undefined;
    if (!found) {
      throw ProblemException.of(404, 'risk-decision-not-found', 'No risk decision for this payment', {
        detail: `payment ${paymentId} has not been assessed`,
      });
    }
    return view(found);
  }
}

function view(d: StoredDecision): DecisionView {
  return {
    paymentId: d.paymentId,
    decision: d.decision,
    score: d.score,
    reasons: d.reasons,
    ruleVersion: d.ruleVersion,
    debtorAccountId: d.debtorAccountId,
    creditorAccountId: d.creditorAccountId,
    amount: fromMinor(d.amountMinor, d.currency),
    currency: d.currency,
    occurredAt: d.occurredAt.toISOString(),
    decidedAt: d.decidedAt.toISOString(),
    correlationId: d.correlationId,
    sourceEventId: d.sourceEventId,
    decisionEventId: d.decisionEventId,
  };
}
