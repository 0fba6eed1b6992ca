import { fromMinor } from '@paystream/money';
import { PaymentStatus, STATUSES } from '../aggregate/chunk-aggregate';
import { LatencySketch } from '../sketch/latency-sketch';

export interface StatusTotals {
  payments: bigint;
  volume: bigint;
}

export interface StatusView {
  count: number;
  volume: string;
}

export interface Figures {
  /** Payments initiated in the window. */
  payments: number;
  /** Their amount, a decimal string in the currency's exponent. */
  volume: string;
  /** Per status: the payments that moved into it in the window, and their amount. */
  byStatus: Record<PaymentStatus, StatusView>;
  /** authorized / (authorized + rejected), 4 decimals; null when risk decided nothing. */
  approvalRate: number | null;
  settleLatencyMs: { p50: number | null; p99: number | null; count: number };
}

/** Rounds a sketch value to whole milliseconds (its precision is about 1 % anyway). */
function ms(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

export function figuresOf(
  currency: string,
  totals: ReadonlyMap<PaymentStatus, StatusTotals>,
  latency: LatencySketch,
): Figures {
  const get = (s: PaymentStatus) => totals.get(s) ?? { payments: 0n, volume: 0n };
  const byStatus = Object.fromEntries(
    STATUSES.map((s) => [s, { count: Number(get(s).payments), volume: fromMinor(get(s).volume, currency) }]),
  ) as Record<PaymentStatus, StatusView>;
  const authorized = get('AUTHORIZED').payments;
  const decided = authorized + get('REJECTED').payments;
  return {
    payments: Number(get('PENDING').payments),
    volume: fromMinor(get('PENDING').volume, currency),
    byStatus,
    approvalRate: decided === 0n ? null : Math.round((Number(authorized) / Number(decided)) * 10_000) / 10_000,
    settleLatencyMs: { p50: ms(latency.quantile(0.5)), p99: ms(latency.quantile(0.99)), count: latency.count },
  };
}
