import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { LedgerResultEvent, RiskDecisionEvent, TOPICS } from '@paystream/contracts';
import { ExactlyOnceContext } from '@paystream/messaging';
import { ApplyDecisionService } from './apply-decision.service';

/** Consumer group `payment`: risk decisions and ledger results, each applied exactly once. */
@Controller()
export class PaymentSagaController {
  constructor(private readonly saga: ApplyDecisionService) {}

  @EventPattern(TOPICS.riskDecisions)
  async onRiskDecision(@Payload() event: RiskDecisionEvent, @Ctx() ctx: ExactlyOnceContext): Promise<void> {
    await this.saga.applyRiskDecision(event, { manager: ctx.manager, emit: (m) => ctx.emit(m) });
  }

  @EventPattern(TOPICS.ledgerResults)
  async onLedgerResult(@Payload() event: LedgerResultEvent, @Ctx() ctx: ExactlyOnceContext): Promise<void> {
    await this.saga.applyLedgerResult(event, { manager: ctx.manager, emit: (m) => ctx.emit(m) });
  }
}
