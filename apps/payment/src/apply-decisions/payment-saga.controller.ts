import { Controller, Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { LedgerResultEvent, RiskDecisionEvent } from '@paystream/contracts';
import { ExactlyOnceContext } from '@paystream/messaging';
import { ApplyDecisionService } from './apply-decision.service';

/**
 * Consumer group `payment`: risk decisions and ledger results, each applied exactly once (per
 * chunk). The topics are configuration (tests and benchmarks use their own), so the controller is
 * made for them when the module is registered.
 */
export function paymentSagaController(topics: { riskDecisions: string; ledgerResults: string }): Type<unknown> {
  @Controller()
  class PaymentSagaController {
    constructor(private readonly saga: ApplyDecisionService) {}

    @EventPattern(topics.riskDecisions)
    onRiskDecision(@Payload() event: RiskDecisionEvent, @Ctx() ctx: ExactlyOnceContext): void {
      this.saga.applyRiskDecision(event, ctx);
    }

    @EventPattern(topics.ledgerResults)
    onLedgerResult(@Payload() event: LedgerResultEvent, @Ctx() ctx: ExactlyOnceContext): void {
      this.saga.applyLedgerResult(event, ctx);
    }
  }
  return PaymentSagaController;
}
