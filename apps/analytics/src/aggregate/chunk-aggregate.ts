import type { PaymentEvent } from '@paystream/contracts';
import { toMinor } from '@paystream/money';

/** The payment status an event moves a payment into (DESIGN.md §4). */
export const STATUS_OF = {
  'payment.initiated': 'PENDING',
  'payment.authorized': 'AUTHORIZED',
  'payment.rejected': 'REJECTED',
  'payment.settled': 'SETTLED',
  'payment.failed': 'FAILED',
} as const satisfies Record<PaymentEvent['type'], string>;

export type PaymentStatus = (typeof STATUS_OF)[keyof typeof STATUS_OF];
export const STATUSES: readonly PaymentStatus[] = ['PENDING', 'AUTHORIZED', 'REJECTED', 'SETTLED', 'FAILED'];

export class InvalidEventError extends Error {}

/** Start of the UTC minute of an ISO-8601 instant, as an ISO string. */
export function minuteOf(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new InvalidEventError(`occurredAt "${iso}" is not a timestamp`);
  return new Date(ms - (((ms % 60_000) + 60_000) % 60_000)).toISOString();
}

export interface StatusCell {
  currency: string;
  minute: string;
  status: PaymentStatus;
  payments: bigint;
  volume: bigint;
}

export interface AccountCell {
  currency: string;
  minute: string;
  accountId: string;
  payments: bigint;
  volume: bigint;
}

export interface Settlement {
  paymentId: string;
  currency: string;
  minute: string;
  settledAt: number;
}

/**
 * The effects of one chunk of payment events, summed in memory: the consumer adds each event
 * as its handler runs and writes the sums once, in the chunk's transaction. Counting happens
 * here and only here, so an event counts once exactly when its dedupe row commits.
 *
 * - status cells: per currency, minute of the event and the status it moves the payment into,
 *   the number of payments and their amount in minor units;
 * - account cells: per debtor account, the payments it initiated and their amount (top accounts);
 * - starts and settlements: initiated-at times, and the settlements whose latency to compute
 *   from them (the start may be in this chunk or an earlier one).
 */
export class ChunkAggregate {
  readonly statusCells = new Map<string, StatusCell>();
  readonly accountCells = new Map<string, AccountCell>();
  readonly starts = new Map<string, number>();
  readonly settlements: Settlement[] = [];
  /** Payments that reached a final status: their start is no longer needed. */
  readonly finished = new Set<string>();

  add(event: PaymentEvent): void {
    const status = STATUS_OF[event.type];
    if (!status) throw new InvalidEventError(`unexpected event type ${String((event as { type: unknown }).type)}`);
    const { currency, amount, debtorAccountId } = event.data;
    let minor: bigint;
    try {
      minor = toMinor(amount, currency);
    } catch (err) {
      throw new InvalidEventError(`amount "${amount}" ${currency}: ${(err as Error).message}`);
    }
    if (minor <= 0n) throw new InvalidEventError(`amount "${amount}" is not positive`);
    const minute = minuteOf(event.occurredAt);

    const statusKey = `${currency}|${minute}|${status}`;
    const cell = this.statusCells.get(statusKey) ?? { currency, minute, status, payments: 0n, volume: 0n };
    cell.payments += 1n;
    cell.volume += minor;
    this.statusCells.set(statusKey, cell);

    switch (event.type) {
      case 'payment.initiated': {
        const accountKey = `${currency}|${minute}|${debtorAccountId}`;
        const acc = this.accountCells.get(accountKey) ?? {
          currency,
          minute,
          accountId: debtorAccountId,
          payments: 0n,
          volume: 0n,
        };
        acc.payments += 1n;
        acc.volume += minor;
        this.accountCells.set(accountKey, acc);
        this.starts.set(event.paymentId, Date.parse(event.occurredAt));
        break;
      }
      case 'payment.settled':
        this.settlements.push({
          paymentId: event.paymentId,
          currency,
          minute,
          settledAt: Date.parse(event.occurredAt),
        });
        this.finished.add(event.paymentId);
        break;
      case 'payment.rejected':
      case 'payment.failed':
        this.finished.add(event.paymentId);
        break;
      case 'payment.authorized':
        break;
    }
  }

  get size(): number {
    return this.statusCells.size;
  }
}

/** Sorted the same way by every writer, so concurrent chunks lock shared rows in one order (no deadlock). */
export function sortedCells<T extends { currency: string; minute: string }>(
  cells: Iterable<T>,
  key: (c: T) => string,
): T[] {
  return [...cells].sort((a, b) => {
    const ka = `${a.currency}|${a.minute}|${key(a)}`;
    const kb = `${b.currency}|${b.minute}|${key(b)}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
