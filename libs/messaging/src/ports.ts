/**
 * The messaging API the apps program against (DESIGN.md §5). Implementations live beside this
 * file; apps never see kafkajs, ClientKafka or Observables.
 *
 * Producing from a database (payment, ledger):
 *   await dataSource.transaction(async (manager) => {
 *     await manager.save(payment);
 *     await outbox.append(manager, [{ topic: TOPICS.paymentEvents, key: debtorAccountId, event }]);
 *   });
 *   The relay (started by MessagingModule when `relay: true`) publishes committed rows in order.
 *
 * Consuming (every consumer group), in a controller of the app:
 *   @EventPattern(TOPICS.riskDecisions)
 *   async onDecision(@Payload() event: RiskDecisionEvent, @Ctx() ctx: ExactlyOnceContext) {
 *     // ctx.manager is the batch's PostgreSQL transaction: write effects through it only.
 *     // ctx.emit(...) sends follow-up events: through the outbox (same transaction) or, for
 *     // a consume-transform-produce group, inside the Kafka transaction with the offsets.
 *   }
 *   The handler is called once per event and group, never for a duplicate.
 *   Throw PermanentError for an event that can never succeed (→ DLQ); anything transient
 *   (database, broker) is retried by the runtime with backoff.
 */
import type { AnyEvent } from '@paystream/contracts';

export interface OutgoingMessage {
  topic: string;
  /** The partition key: the debtor account id on every contract topic. */
  key: string;
  event: AnyEvent;
}

/** Events that can never be applied: the runtime sends them to `<topic>.<group>.dlq`. */
export class PermanentError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** What a handler receives besides the event: the transaction and where the event came from. */
export interface EventOrigin {
  topic: string;
  partition: number;
  offset: string;
  group: string;
}

/**
 * Serialisation of contract events: Avro in the Confluent wire format through the schema
 * registry (libs/messaging/src/serde). Implemented by SchemaRegistryCodec.
 */
export interface EventCodec {
  /** Validates the event against its registered schema and encodes it (magic byte, schema id, body). */
  encode(topic: string, event: AnyEvent): Promise<Buffer>;
  /** Throws PermanentError ('UNDECODABLE' or 'SCHEMA_INVALID') for bytes that are not a contract event. */
  decode(topic: string, value: Buffer): Promise<AnyEvent>;
  /**
   * Optional fast path: the decoded event when it needs no I/O (its writer schema is cached),
   * undefined otherwise (the caller then uses decode). Throws what decode throws.
   */
  decodeCached?(topic: string, value: Buffer): AnyEvent | undefined;
}

/** Injection token of the process's EventCodec. */
export const EVENT_CODEC = Symbol('EVENT_CODEC');
