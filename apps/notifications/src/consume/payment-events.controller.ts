import { Controller, Inject, Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { PaymentEvent } from '@paystream/contracts';
import { ExactlyOnceContext, PermanentError } from '@paystream/messaging';
import { APP_CONFIG } from '@paystream/platform';
import type { NotificationsConfig } from '../config';
import { DeliveryRepository } from '../deliveries/delivery.repository';
import { SUBSCRIBABLE_EVENTS } from '../webhooks/webhook';

interface PendingDelivery {
  eventId: string;
  type: string;
  body: string;
}

const CHUNK_STATE = 'notifications:deliveries';

/**
 * The `notifications` group's entry point. Handlers only collect the chunk's events; one
 * deferred flush writes every delivery row of the chunk in the batch transaction, with the
 * dedupe rows and the offsets. Sending happens later, in the dispatcher. The topic is
 * configuration (tests use their own), so the controller is made for it.
 */
export function paymentEventsController(topic: string): Type<unknown> {
  @Controller()
  class NotificationsPaymentEventsController {
    constructor(@Inject(APP_CONFIG) private readonly config: NotificationsConfig) {}

    @EventPattern(topic)
    handle(@Payload() event: PaymentEvent, @Ctx() ctx: ExactlyOnceContext): Promise<void> {
      if (!(SUBSCRIBABLE_EVENTS as readonly string[]).includes(event.type)) {
        throw new PermanentError('UNEXPECTED_EVENT_TYPE', `${String(event.type)} does not belong on ${topic}`);
      }
      const pending = ctx.batchState<PendingDelivery[]>(CHUNK_STATE, () => []);
      pending.push({ eventId: event.eventId, type: event.type, body: JSON.stringify(event) });
      ctx.deferUntilCommit(CHUNK_STATE, async (manager) => {
        await DeliveryRepository.createForEvents(manager, pending, this.config.NOTIFICATIONS_MAX_ATTEMPTS);
      });
      return Promise.resolve();
    }
  }
  return NotificationsPaymentEventsController;
}
