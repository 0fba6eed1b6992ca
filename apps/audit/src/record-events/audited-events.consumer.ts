import { Controller, Inject, Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { AnyEvent } from '@paystream/contracts';
import { ExactlyOnceContext } from '@paystream/messaging';
import { RecordEventService } from './record-event.service';

/**
 * The `audit` group's handler: every event of every audited topic becomes one chained record.
 * The runtime's dedupe row and the record commit in the same transaction, so a redelivered event
 * is never recorded twice. Built per app because the topics are configuration.
 */
export function auditedEventsConsumer(topics: string[]): Type<unknown> {
  @Controller()
  class AuditedEventsConsumer {
    constructor(@Inject(RecordEventService) private readonly records: RecordEventService) {}

    @EventPattern(topics)
    async onEvent(@Payload() event: AnyEvent, @Ctx() ctx: ExactlyOnceContext): Promise<void> {
      await this.records.record(ctx, event, ctx.origin);
    }
  }
  return AuditedEventsConsumer;
}
