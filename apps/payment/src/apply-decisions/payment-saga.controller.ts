import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { LedgerResultEvent, RiskDecisionEvent, TOPICS } from '@paystream/contracts';
import { ExactlyOnceContext } from '@paystream/messaging';
import { ApplyDecisionService } from './apply-decision.service';

/** Consumer group `payment`: risk decisions and ledger results, each applied exactly once (per chunk). */
@Controller()
export class PaymentSagaController {
  constructor(private readonly saga: ApplyDecisionService) {}

  @EventPattern(TOPICS.riskDecisions)
  onRiskDecision(@Payload() event: RiskDecisionEvent, @Ctx() ctx: ExactlyOnceContext): void {
    this.saga.applyRiskDecision(event, ctx);
  }

  @EventPattern(TOPICS.ledgerResults)
  onLedgerResult(@Payload() event: LedgerResultEvent, @Ctx() ctx: ExactlyOnceContext): void {
    this.saga.applyLedgerResult(event, ctx);
  }
}
