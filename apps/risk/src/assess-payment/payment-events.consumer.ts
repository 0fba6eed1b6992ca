import { Controller, Inject, Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PaymentEvent, PaymentInitiated } from '@paystream/contracts';
import { ExactlyOnceContext } from '@paystream/messaging';
import { AssessBatch, AssessPaymentService } from './assess-payment.service';

/**
 * The `risk` group's handler on payment-events. @EventPattern needs the topic when the class is
 * declared, and the topics are configuration (tests use their own), so the class is built per app.
 *
 * Runs in 'kafka-transaction' mode: the decision is stored with the batch's dedupe rows, and the
 * emitted risk.assessed goes out in the Kafka transaction that also commits the consumed offsets.
 * A redelivered payment.initiated never reaches this handler; the runtime re-sends the stored
 * decision instead.
 */
export function paymentEventsConsumer(inputTopic: string, outputTopic: string): Type<unknown> {
  @Controller()
  class PaymentEventsConsumer {
    constructor(@Inject(AssessPaymentService) private readonly assess: AssessPaymentService) {}

    @EventPattern(inputTopic)
    async onPaymentEvent(@Payload() event: PaymentEvent, @Ctx() ctx: ExactlyOnceContext): Promise<void> {
      // payment-events carries the whole lifecycle; risk decides on initiation only.
      if (event.type !== 'payment.initiated') return;
      const batch = ctx.batchState<AssessBatch>('risk-assess', () => ({}));
      ctx.deferUntilCommit('risk-assess', (manager) => this.assess.flush(manager, batch));
      const decision = await this.assess.assess(ctx.manager, event, batch, () =>
        ctx.batchEvents().filter((e): e is PaymentInitiated => e.type === 'payment.initiated'),
      );
      if (decision) await ctx.emit({ topic: outputTopic, key: decision.data.debtorAccountId, event: decision });
    }
  }
  return PaymentEventsConsumer;
}
