import { Inject, Injectable } from '@nestjs/common';
import type {
  LedgerPosted,
  LedgerRefused,
  PaymentAuthorized,
  PaymentEvent,
  PaymentFailed,
  PaymentSettled,
} from '@paystream/contracts';
import { ExactlyOnceContext, PermanentError } from '@paystream/messaging';
import { fromMinor } from '@paystream/money';
import { Metrics } from '@paystream/observability';
import { APP_CONFIG } from '@paystream/platform';
import { v7 as uuidv7 } from 'uuid';
import type { LedgerConfig } from '../config';
import { ImpossiblePaymentError, decideAuthorization } from '../domain/decide-authorization';
import { minorOf, postingLinesOf, timeOf } from './event-terms';
import { LiveBatch } from './live-batch';

/** What the applier uses of the runtime's context (ExactlyOnceContext provides it). */
export type LedgerBatchContext = Pick<ExactlyOnceContext, 'manager' | 'emit' | 'deferUntilCommit' | 'batchState'> &
  Partial<Pick<ExactlyOnceContext, 'batchEvents'>>;

const BATCH = 'ledger.live';

/**
 * The live ledger's reaction to payment-events (consumer group `ledger`): decides on
 * payment.authorized, checks payment.settled against the journal, records outcomes. All writes
 * go through the batch's transaction; results go to the outbox in it.
 */
@Injectable()
export class LiveLedgerApplier {
  private readonly decisions;
  private readonly mismatchAlarm;

  constructor(
    @Inject(APP_CONFIG) private readonly config: LedgerConfig,
    metrics: Metrics,
  ) {
    this.decisions = metrics.counter('ledger_decisions_total', 'Ledger decisions on payment.authorized', ['outcome']);
    this.mismatchAlarm = metrics.counter(
      'ledger_settlement_mismatch_total',
      'ALARM: payment.settled whose postings differ from the journal',
      ['reason'],
    );
  }

  async apply(event: PaymentEvent, ctx: LedgerBatchContext): Promise<void> {
    switch (event.type) {
      case 'payment.authorized':
        return this.onAuthorized(event, ctx);
      case 'payment.settled':
        return this.onSettled(event, ctx);
      case 'payment.failed':
        return this.onFailed(event, ctx);
      case 'payment.initiated':
      case 'payment.rejected':
        return; // nothing for the ledger
    }
  }

  private batch(ctx: LedgerBatchContext): LiveBatch {
    const batch = ctx.batchState(BATCH, () => new LiveBatch((m) => this.mismatchAlarm.inc({ reason: m.reason })));
    ctx.deferUntilCommit(BATCH, (manager) => batch.flush(manager));
    return batch;
  }

  private async onAuthorized(event: PaymentAuthorized, ctx: LedgerBatchContext): Promise<void> {
    const batch = this.batch(ctx);
    const { debtorAccountId, creditorAccountId, currency } = event.data;
    // The runtime dedupes by eventId; a second authorization of one payment (another eventId)
    // must not produce a second decision either (checked against the database at flush).
    if (batch.decided.has(event.paymentId)) {
      throw new PermanentError('ALREADY_DECIDED', `payment ${event.paymentId} authorized twice in one batch`);
    }

    const payment = {
      paymentId: event.paymentId,
      debtorAccountId,
      creditorAccountId,
      amount: minorOf(event.data.amount, currency),
      currency,
      authorizedAt: timeOf(event.occurredAt),
    };
    // The first decision of the batch locks the accounts of every authorization in it at once.
    const [debtor, creditor] = await batch.accounts(ctx.manager, [debtorAccountId, creditorAccountId], () =>
      (ctx.batchEvents?.() ?? []).flatMap((e) =>
        e.type === 'payment.authorized' ? [e.data.debtorAccountId, e.data.creditorAccountId] : [],
      ),
    );
    let decision;
    try {
      decision = decideAuthorization(payment, debtor, creditor);
    } catch (err) {
      if (err instanceof ImpossiblePaymentError) throw new PermanentError(err.code, err.message);
      throw err;
    }
    const terms = { debtorAccountId, creditorAccountId, amount: fromMinor(payment.amount, currency), currency };
    const envelope = {
      occurredAt: new Date().toISOString(),
      paymentId: event.paymentId,
      correlationId: event.correlationId,
      version: event.version,
    };
    if (decision.kind === 'post') {
      batch.post(decision.entry);
      const posted: LedgerPosted = {
        eventId: uuidv7(),
        type: 'ledger.posted',
        ...envelope,
        data: {
          ...terms,
          journalEntryId: decision.entry.id,
          postings: decision.entry.postings.map((p) => ({
            accountId: p.accountId,
            amount: fromMinor(p.amount, p.currency),
            currency: p.currency,
          })),
          // The booking time travels with the result into payment.settled: a replay books the
          // entry from it without reading payment.authorized (README: rebuild).
          postedAt: decision.entry.postedAt.toISOString(),
        },
      };
      await ctx.emit({ topic: this.config.LEDGER_RESULTS_TOPIC, key: debtorAccountId, event: posted });
    } else {
      batch.refuse({ ...payment, reason: decision.reason, refusedAt: payment.authorizedAt });
      const refused: LedgerRefused = {
        eventId: uuidv7(),
        type: 'ledger.refused',
        ...envelope,
        data: { ...terms, reason: decision.reason, refusedAt: payment.authorizedAt.toISOString() },
      };
      await ctx.emit({ topic: this.config.LEDGER_RESULTS_TOPIC, key: debtorAccountId, event: refused });
    }
    this.decisions.inc({ outcome: decision.kind === 'post' ? 'posted' : decision.reason });
  }

  private onSettled(event: PaymentSettled, ctx: LedgerBatchContext): Promise<void> {
    const batch = this.batch(ctx);
    batch.settle({
      eventId: event.eventId,
      paymentId: event.paymentId,
      journalEntryId: event.data.journalEntryId,
      postings: postingLinesOf(event.data.postings),
    });
    batch.outcomes.push({
      paymentId: event.paymentId,
      status: 'SETTLED',
      reason: null,
      eventId: event.eventId,
      occurredAt: timeOf(event.occurredAt),
    });
    return Promise.resolve();
  }

  private onFailed(event: PaymentFailed, ctx: LedgerBatchContext): Promise<void> {
    this.batch(ctx).outcomes.push({
      paymentId: event.paymentId,
      status: 'FAILED',
      reason: event.data.reason,
      eventId: event.eventId,
      occurredAt: timeOf(event.occurredAt),
    });
    return Promise.resolve();
  }
}
