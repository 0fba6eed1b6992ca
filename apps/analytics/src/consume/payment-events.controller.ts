import { Controller, Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PaymentEvent } from '@paystream/contracts';
import { ExactlyOnceContext, PermanentError } from '@paystream/messaging';
import { writeChunkAggregate } from '../aggregate/aggregate.writer';
import { ChunkAggregate, InvalidEventError } from '../aggregate/chunk-aggregate';

const CHUNK_STATE = 'analytics:chunk';

/**
 * The `analytics` group's entry point. Each handler adds its event to the chunk's in-memory
 * sums; one deferred flush writes them in the batch transaction, together with the dedupe rows
 * and the offsets, so an event is counted exactly when its dedupe row commits (a rolled-back
 * chunk takes its sums with it and is counted again on retry). The topic is configuration
 * (tests use their own), so the controller is made for it.
 */
export function paymentEventsController(topic: string): Type<unknown> {
  @Controller()
  class AnalyticsPaymentEventsController {
    @EventPattern(topic)
    handle(@Payload() event: PaymentEvent, @Ctx() ctx: ExactlyOnceContext): Promise<void> {
      const chunk = ctx.batchState(CHUNK_STATE, () => new ChunkAggregate());
      try {
        chunk.add(event);
      } catch (err) {
        if (err instanceof InvalidEventError) throw new PermanentError('INVALID_PAYMENT_EVENT', err.message);
        throw err;
      }
      ctx.deferUntilCommit(CHUNK_STATE, (manager) => writeChunkAggregate(manager, chunk));
      return Promise.resolve();
    }
  }
  return AnalyticsPaymentEventsController;
}
