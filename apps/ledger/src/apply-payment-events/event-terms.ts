import type { Posting } from '@paystream/contracts';
import { PermanentError } from '@paystream/messaging';
import { MoneyError, toMinor } from '@paystream/money';
import type { PostingLine } from '../domain/journal';

/** Decimal string → minor units; an amount no currency could hold is an event to park (DLQ). */
export function minorOf(amount: string, currency: string): bigint {
  try {
    return toMinor(amount, currency);
  } catch (err) {
    if (err instanceof MoneyError) throw new PermanentError(`AMOUNT_${err.code}`, err.message);
    throw err;
  }
}

export function postingLinesOf(postings: readonly Posting[]): PostingLine[] {
  return postings.map((p) => ({ accountId: p.accountId, amount: minorOf(p.amount, p.currency), currency: p.currency }));
}

export function timeOf(iso: string): Date {
  return new Date(millisOf(iso));
}

/** The time as milliseconds since the epoch (the rebuild sends times so: no Date per row). */
export function millisOf(iso: string): number {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) throw new PermanentError('BAD_OCCURRED_AT', `occurredAt "${iso}" is not a time`);
  return at;
}
