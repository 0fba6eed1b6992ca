import type { EventType, LedgerRefusal, PaymentEvent } from '@paystream/contracts';
import { ExactlyOnceContext, PermanentError } from '@paystream/messaging';
import type { EntityManager } from 'typeorm';
import { JournalEntry, UnbalancedEntryError, assertBalanced } from '../domain/journal';
import { minorOf, postingLinesOf, timeOf } from '../apply-payment-events/event-terms';
import { OutcomeRow, RefusalRow, insertReplayed } from '../persistence/journal.writer';

type RebuildContext = Pick<ExactlyOnceContext, 'deferUntilCommit' | 'batchState'>;

const LEDGER_REFUSALS: ReadonlySet<string> = new Set<LedgerRefusal>([
  'INSUFFICIENT_FUNDS',
  'ACCOUNT_NOT_FOUND',
  'CURRENCY_MISMATCH',
]);

class RebuildBatch {
  readonly entries = new Map<string, JournalEntry>();
  readonly outcomes: OutcomeRow[] = [];
  readonly refusals: RefusalRow[] = [];

  async flush(manager: EntityManager): Promise<void> {
    // Balances are not touched here: they are summed once from the postings at the end, so
    // concurrent partitions never contend on hot account rows.
    await insertReplayed(manager, {
      entries: [...this.entries.values()],
      outcomes: this.outcomes,
      refusals: this.refusals,
    });
  }
}

const BATCH = 'ledger.rebuild';

/**
 * What the replay reads (ExactlyOnceConsumer `acceptTypes`): the runtime passes over every other
 * record (payment.initiated, payment.rejected: a third or more of the topic) by its type header,
 * undecoded and without a dedupe row. payment.authorized is read for its time alone: the live
 * ledger books an entry (posted_at, what `asOf` of statements and checksums filters on) and a
 * refusal at its payment's authorization, and neither payment.settled nor payment.failed carries
 * that time.
 */
export const REBUILD_EVENT_TYPES: readonly EventType[] = ['payment.authorized', 'payment.settled', 'payment.failed'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Replays recorded facts into a fresh ledger and never decides: the entries are the postings that
 * payment.settled carries, with the journal entry id it names; payment.failed with a ledger
 * reason restores the refusal. Each entry is booked at its payment's authorization time (the
 * live ledger's posted_at); payment.authorized precedes payment.settled on the same partition
 * (same key), so it has been seen whatever the interleaving of partitions.
 */
export class RebuildApplier {
  /** payment id → authorization time; only ever added to, so a retried batch is harmless. */
  private readonly authorizedAt = new Map<string, Date>();

  constructor(private readonly asOf?: Date) {}

  apply(event: PaymentEvent, ctx: RebuildContext): Promise<void> {
    switch (event.type) {
      case 'payment.authorized':
        this.authorizedAt.set(event.paymentId, timeOf(event.occurredAt));
        break;
      case 'payment.settled': {
        const postedAt = this.authorizedAt.get(event.paymentId) ?? timeOf(event.occurredAt);
        if (this.asOf && postedAt > this.asOf) break;
        if (!UUID.test(event.data.journalEntryId)) {
          throw new PermanentError(
            'BAD_JOURNAL_ENTRY_ID',
            `journalEntryId "${event.data.journalEntryId}" is not a UUID`,
          );
        }
        const postings = postingLinesOf(event.data.postings);
        try {
          assertBalanced(postings);
        } catch (err) {
          if (err instanceof UnbalancedEntryError) throw new PermanentError(err.code, err.message);
          throw err;
        }
        const batch = this.batch(ctx);
        if (!batch.entries.has(event.paymentId)) {
          batch.entries.set(event.paymentId, {
            id: event.data.journalEntryId,
            paymentId: event.paymentId,
            postedAt,
            postings,
          });
        }
        this.outcome(ctx, event, 'SETTLED', null);
        break;
      }
      case 'payment.failed': {
        const at = timeOf(event.occurredAt);
        if (this.asOf && at > this.asOf) break;
        this.outcome(ctx, event, 'FAILED', event.data.reason);
        if (LEDGER_REFUSALS.has(event.data.reason)) {
          const { debtorAccountId, creditorAccountId, currency, amount } = event.data;
          this.batch(ctx).refusals.push({
            paymentId: event.paymentId,
            reason: event.data.reason,
            debtorAccountId,
            creditorAccountId,
            amount: minorOf(amount, currency),
            currency,
            refusedAt: this.authorizedAt.get(event.paymentId) ?? at,
          });
        }
        break;
      }
      case 'payment.initiated':
      case 'payment.rejected':
        break;
    }
    return Promise.resolve();
  }

  private batch(ctx: RebuildContext): RebuildBatch {
    const batch = ctx.batchState(BATCH, () => new RebuildBatch());
    ctx.deferUntilCommit(BATCH, (manager) => batch.flush(manager));
    return batch;
  }

  private outcome(ctx: RebuildContext, event: PaymentEvent, status: OutcomeRow['status'], reason: string | null): void {
    this.batch(ctx).outcomes.push({
      paymentId: event.paymentId,
      status,
      reason,
      eventId: event.eventId,
      occurredAt: timeOf(event.occurredAt),
    });
  }
}
