import { v7 as uuidv7 } from 'uuid';
import type { EventStamp } from './payment';

/** A fresh event identity: UUIDv7 (time-ordered, unique forever) and the current instant. */
export function newEventStamp(correlationId: string, now: Date = new Date()): EventStamp {
  return { eventId: uuidv7(), occurredAt: now, correlationId };
}

/** Payment ids are UUIDv7 too, so ordering by id is ordering by creation time (newest-first paging). */
export function newPaymentId(): string {
  return uuidv7();
}
