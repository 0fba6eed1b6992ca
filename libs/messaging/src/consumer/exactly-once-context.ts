import { KafkaContext } from '@nestjs/microservices';
import type { AnyEvent } from '@paystream/contracts';
import type { EntityManager } from 'typeorm';
import type { EventOrigin, OutgoingMessage } from '../ports';
import type { ChunkScope } from './chunk-scope';

type KafkaContextArgs = ConstructorParameters<typeof KafkaContext>[0];

/**
 * What a handler gets as `@Ctx()` (Nest's KafkaContext plus the batch's transaction). Writes go
 * through `manager`; follow-up events through `emit`; nothing else is durable.
 */
export class ExactlyOnceContext extends KafkaContext {
  readonly manager: EntityManager;

  constructor(
    args: KafkaContextArgs,
    readonly origin: EventOrigin,
    private readonly scope: ChunkScope,
    private readonly sourceEventId: string,
    private readonly traceparent: string | undefined,
  ) {
    super(args);
    this.manager = scope.manager;
  }

  /**
   * Sends follow-up events with the batch: through the outbox in the same transaction (database
   * mode) or in the Kafka transaction that also commits the consumed offsets (kafka-transaction
   * mode). Validates each event against its schema now, so an invalid one fails this event.
   */
  emit(messages: OutgoingMessage | OutgoingMessage[]): Promise<void> {
    return this.scope.emit(this.sourceEventId, Array.isArray(messages) ? messages : [messages], this.traceparent);
  }

  /** Registers `flush` once per key per batch; it runs after the last handler, before offsets are written and the commit. */
  deferUntilCommit(key: string, flush: (manager: EntityManager) => Promise<void>): void {
    this.scope.defer(key, flush);
  }

  /**
   * Every event of this batch (the transaction's chunks, in order), including ones that turn out
   * to be duplicates and ones this handler ignores: for reading ahead, e.g. locking every account
   * the batch will touch in one statement instead of one per event. Never for effects.
   */
  batchEvents(): readonly AnyEvent[] {
    return this.scope.events;
  }

  /** Scratch state shared by the handlers of one batch (created by `init` on first use). */
  batchState<T>(key: string, init: () => T): T {
    return this.scope.state(key, init);
  }
}
