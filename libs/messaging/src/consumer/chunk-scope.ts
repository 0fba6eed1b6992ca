import type { AnyEvent } from '@paystream/contracts';
import type { EntityManager } from 'typeorm';
import { childTraceparent, eventHeaders } from '../headers';
import type { OutboxRow } from '../outbox/outbox-rows';
import type { EventCodec, OutgoingMessage } from '../ports';

/** An emitted record, with its bytes when the mode sends it itself (kafka-transaction). */
export interface EmittedRecord extends OutboxRow {
  sourceEventId: string;
  value?: Buffer;
}

/** Per-attempt state of one chunk: its transaction, deferred flushes, scratch state and emits. */
export class ChunkScope {
  private readonly flushes = new Map<string, (manager: EntityManager) => Promise<void>>();
  private readonly states = new Map<string, unknown>();
  readonly emitted: EmittedRecord[] = [];

  constructor(
    readonly manager: EntityManager,
    private readonly codec: EventCodec,
    private readonly keepBytes: boolean,
    /** Every decoded event this transaction applies, in order (duplicates not yet told apart). */
    readonly events: readonly AnyEvent[] = [],
  ) {}

  async emit(sourceEventId: string, messages: OutgoingMessage[], traceparent: string | undefined): Promise<void> {
    const values = await Promise.all(messages.map((m) => this.codec.encode(m.topic, m.event)));
    messages.forEach((m, i) => {
      this.emitted.push({
        topic: m.topic,
        key: m.key,
        event: m.event,
        headers: eventHeaders(m.event, childTraceparent(traceparent)),
        sourceEventId,
        value: this.keepBytes ? values[i] : undefined,
      });
    });
  }

  defer(key: string, flush: (manager: EntityManager) => Promise<void>): void {
    if (!this.flushes.has(key)) this.flushes.set(key, flush);
  }

  state<T>(key: string, init: () => T): T {
    if (!this.states.has(key)) this.states.set(key, init());
    return this.states.get(key) as T;
  }

  async runFlushes(): Promise<void> {
    for (const flush of this.flushes.values()) await flush(this.manager);
  }
}
