import type { EventType, LedgerRefusal, PaymentEvent } from '@paystream/contracts';
import { ExactlyOnceContext, PermanentError } from '@paystream/messaging';
import { UnbalancedEntryError, assertBalanced } from '../domain/journal';
import { millisOf, minorOf, postingLinesOf, timeOf } from '../apply-payment-events/event-terms';
import { ReplayRows, insertReplayed } from '../persistence/replay-rows';

type RebuildContext = Pick<ExactlyOnceContext, 'deferUntilCommit' | 'batchState'>;

const LEDGER_REFUSALS: ReadonlySet<string> = new Set<LedgerRefusal>([
  'INSUFFICIENT_FUNDS',
  'ACCOUNT_NOT_FOUND',
  'CURRENCY_MISMATCH',
]);

const BATCH = 'ledger.rebuild';

/**
 * What the replay reads (ExactlyOnceConsumer `acceptTypes`): the runtime passes over every other
 * record (payment.initiated, payment.authorized, payment.rejected: two thirds of the topic) by its
 * type header, undecoded. The booking time of an entry (posted_at, what `asOf` of statements and
 * checksums filters on) and of a refusal travel in payment.settled `postedAt` and payment.failed
 * `refusedAt` (schema v2); events written before carry null there, and only for those the
 * payment's authorization time is looked up afterwards (AUTHORIZATION_TIME_TYPES).
 */
export const REBUILD_EVENT_TYPES: readonly EventType[] = ['payment.settled', 'payment.failed'];
/** What the second, look-up pass reads, only when some replayed event had no booking time. */
export const AUTHORIZATION_TIME_TYPES: readonly EventType[] = ['payment.authorized'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Replays recorded facts into a fresh ledger and never decides: the entries are the postings that
 * payment.settled carries, with the journal entry id it names; payment.failed with a ledger
 * reason restores the refusal. Each entry is booked at the time the event carries (`postedAt`,
 * the live ledger's posted_at). An event written before schema v2 has none: its entry or refusal
 * is written at the event's own time for now and its payment listed in `untimed`; the look-up
 * pass then sets the payment's authorization time (the live ledger's booking time) and, with
 * `asOf`, removes what turns out to be booked later (rebuild.ts, `backfillBookingTimes`).
 */
export class RebuildApplier {
  /**
   * Payments whose entry or refusal still needs its authorization time; only ever added to, so a
   * retried chunk is harmless (one whose record went to the DLQ may leave an id with no row).
   */
  readonly untimed = new Set<string>();

  private readonly asOfMillis: number;

  constructor(asOf?: Date) {
    this.asOfMillis = asOf ? asOf.getTime() : Infinity;
  }

  apply(event: PaymentEvent, ctx: RebuildContext): Promise<void> {
    switch (event.type) {
      case 'payment.settled': {
        const carried = event.data.postedAt;
        const postedAt = millisOf(carried ?? event.occurredAt);
        if (carried === null) this.untimed.add(event.paymentId);
        // An untimed entry's authorization precedes its settlement: booked after asOf is then only
        // decided once its time is known.
        else if (postedAt > this.asOfMillis) break;
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
        const rows = this.rows(ctx);
        rows.addEntry(event.data.journalEntryId, event.paymentId, postedAt, postings);
        rows.addOutcome(event.paymentId, 'SETTLED', null, event.eventId, millisOf(event.occurredAt));
        break;
      }
      case 'payment.failed': {
        const at = millisOf(event.occurredAt);
        if (at > this.asOfMillis) break;
        const rows = this.rows(ctx);
        rows.addOutcome(event.paymentId, 'FAILED', event.data.reason, event.eventId, at);
        if (LEDGER_REFUSALS.has(event.data.reason)) {
          const { debtorAccountId, creditorAccountId, currency, amount, refusedAt } = event.data;
          if (refusedAt === null) this.untimed.add(event.paymentId);
          rows.addRefusal(
            {
              paymentId: event.paymentId,
              reason: event.data.reason,
              debtorAccountId,
              creditorAccountId,
              amount: minorOf(amount, currency),
              currency,
            },
            refusedAt === null ? at : millisOf(refusedAt),
          );
        }
        break;
      }
      case 'payment.initiated':
      case 'payment.authorized':
      case 'payment.rejected':
        break;
    }
    return Promise.resolve();
  }

  /** The chunk's rows, written by one statement just before its commit (balances only at the end). */
  private rows(ctx: RebuildContext): ReplayRows {
    return ctx.batchState(BATCH, () => {
      const rows = new ReplayRows();
      ctx.deferUntilCommit(BATCH, (manager) => insertReplayed(manager, rows));
      return rows;
    });
  }
}

/**
 * The look-up pass: the authorization time of each payment in `untimed` (the live ledger booked
 * its entry or refusal then). Only adds to `times`, so a retried chunk is harmless; the times are
 * written in one statement after the pass (setBookingTimes). `found` resolves once every such
 * payment has its time: a payment's authorization precedes its settlement or failure on the
 * payment's partition, so on a topic upgraded to schema v2 the pass can stop there instead of
 * reading the part written since (rebuild.ts); a payment whose authorization is not on the topic
 * leaves it to run to the end offsets, as before.
 */
export class AuthorizationTimes {
  readonly times = new Map<string, Date>();
  readonly found: Promise<void>;
  private resolveFound!: () => void;

  constructor(private readonly untimed: ReadonlySet<string>) {
    this.found = new Promise((resolve) => (this.resolveFound = resolve));
    if (untimed.size === 0) this.resolveFound();
  }

  apply(event: PaymentEvent): Promise<void> {
    if (event.type === 'payment.authorized' && this.untimed.has(event.paymentId) && !this.times.has(event.paymentId)) {
      this.times.set(event.paymentId, timeOf(event.occurredAt));
      if (this.times.size === this.untimed.size) this.resolveFound();
    }
    return Promise.resolve();
  }
}
