import { AnyEvent, isEventType } from '@paystream/contracts';
import { EventOrigin, PermanentError } from '@paystream/messaging';
import { EntityManager } from 'typeorm';
import { appendToChain, AuditRecord, ChainHead } from '../chain/audit-record';
import { AuditTrailRepository } from '../persistence/audit-trail.repository';

/**
 * The part of the consumer's batch context the trail needs (ExactlyOnceContext has it): the
 * batch transaction, per-batch scratch state and a flush that runs once before the commit.
 */
export interface BatchScope {
  readonly manager: EntityManager;
  batchState<T>(key: string, init: () => T): T;
  deferUntilCommit(key: string, flush: (manager: EntityManager) => Promise<void>): void;
}

interface ChainBatch {
  head?: ChainHead;
  pending: AuditRecord[];
}

const STATE_KEY = 'audit-chain';

/** Appends one record per event to the chain, in the consumer's batch transaction. */
export class RecordEventService {
  constructor(
    private readonly trail: AuditTrailRepository,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(scope: BatchScope, event: AnyEvent, origin: EventOrigin): Promise<AuditRecord> {
    const occurredAt = new Date(event.occurredAt);
    if (!isEventType(event.type) || !event.eventId || !event.paymentId || Number.isNaN(occurredAt.getTime())) {
      throw new PermanentError(
        'INVALID_EVENT',
        `not an auditable event: type ${String(event.type)}, id ${event.eventId}`,
      );
    }
    const batch = scope.batchState<ChainBatch>(STATE_KEY, () => ({ pending: [] }));
    // The handlers of one batch run one after another, so the head is locked once per batch and
    // then advanced in memory; the records and the new head are written by one flush before commit.
    if (!batch.head) {
      batch.head = await this.trail.lockHead(scope.manager);
      scope.deferUntilCommit(STATE_KEY, (manager) => this.trail.append(manager, batch.pending));
    }
    const data = event.data as { debtorAccountId?: unknown; creditorAccountId?: unknown };
    const record = appendToChain(batch.head, {
      eventId: event.eventId,
      type: event.type,
      topic: origin.topic,
      partition: origin.partition,
      offset: origin.offset,
      paymentId: event.paymentId,
      debtorAccountId: typeof data.debtorAccountId === 'string' ? data.debtorAccountId : null,
      creditorAccountId: typeof data.creditorAccountId === 'string' ? data.creditorAccountId : null,
      occurredAt: occurredAt.toISOString(),
      recordedAt: this.clock().toISOString(),
      event,
    });
    batch.pending.push(record);
    batch.head = { sequence: record.sequence, hash: record.hash };
    return record;
  }
}
