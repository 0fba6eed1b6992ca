import { Controller, Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PaymentEvent } from '@paystream/contracts';
import { ExactlyOnceContext } from '@paystream/messaging';
import { LiveLedgerApplier } from './live-ledger.applier';

/**
 * The Kafka entry point of the live ledger. The topic is configuration (tests use their own), so
 * the controller is made for it when the module is registered.
 */
export function paymentEventsController(topic: string): Type<unknown> {
  @Controller()
  class PaymentEventsController {
    constructor(private readonly applier: LiveLedgerApplier) {}

    @EventPattern(topic)
    handle(@Payload() event: PaymentEvent, @Ctx() ctx: ExactlyOnceContext): Promise<void> {
      return this.applier.apply(event, ctx);
    }
  }
  return PaymentEventsController;
}
