import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { eventHeaders } from '../headers';
import { EVENT_CODEC, EventCodec, OutgoingMessage } from '../ports';
import { insertOutboxRows } from './outbox-rows';

/**
 * Writes events in the caller's PostgreSQL transaction (DESIGN.md §5, transactional outbox):
 * the state change and its events commit or roll back together; the relay publishes them later.
 */
@Injectable()
export class Outbox {
  constructor(@Optional() @Inject(EVENT_CODEC) private readonly codec?: EventCodec) {}

  /**
   * Appends `messages` within `manager`'s transaction. Each event is validated against its
   * registered schema first (when a codec is given), so an event the relay could never publish
   * fails the caller's transaction instead of blocking the outbox.
   */
  async append(manager: EntityManager, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('Outbox.append needs the EntityManager of an open transaction');
    }
    await this.validate(messages);
    await insertOutboxRows(
      manager,
      messages.map((m) => ({ topic: m.topic, key: m.key, event: m.event, headers: eventHeaders(m.event) })),
    );
  }

  /**
   * The `payload` and `headers` column values (JSON text) of `messages`, each validated as in
   * `append`, for a writer whose statement inserts the rows itself (`outboxInsertFrom`).
   */
  async rowValues(messages: OutgoingMessage[]): Promise<Array<{ payload: string; headers: string }>> {
    await this.validate(messages);
    return messages.map((m) => ({ payload: JSON.stringify(m.event), headers: JSON.stringify(eventHeaders(m.event)) }));
  }

  private async validate(messages: OutgoingMessage[]): Promise<void> {
    if (this.codec) await Promise.all(messages.map((m) => this.codec!.encode(m.topic, m.event)));
  }
}
