import { amountLimitFor, limitInMinor, RiskRules } from '../rules/risk-rules';

/**
 * The rules engine: a pure function of the payment, the rules and the debtor's history, so the
 * same inputs always give the same decision (no clock, no I/O).
 */
export type RiskReason =
  | 'RISK_BLOCKED_ACCOUNT'
  | 'RISK_AMOUNT_LIMIT'
  | 'RISK_NEW_ACCOUNT_LIMIT'
  | 'RISK_VELOCITY_COUNT'
  | 'RISK_VELOCITY_AMOUNT';

export interface PaymentToAssess {
  debtorAccountId: string;
  amountMinor: bigint;
  currency: string;
  occurredAt: Date;
}

/** What the debtor did before this payment, as far as the rules need to know. */
export interface DebtorHistory {
  /** Approved payments of the debtor in the velocity window, any currency. */
  windowCount: number;
  /** Their total in the payment's currency. */
  windowAmountMinor: bigint;
  /** Approved payments of the debtor ever (for the new-account rule). */
  approvedPayments: number;
}

export interface Assessment {
  decision: 'APPROVE' | 'REJECT';
  /** 0 … 1: how close the payment came to the nearest limit (1 = at or beyond one). */
  score: number;
  /** Every rule the payment broke, most severe first; empty when approved. */
  reasons: RiskReason[];
}

/** The sliding window ends at the payment's own occurredAt (inclusive) and reaches windowSeconds back (exclusive). */
export function velocityWindow(occurredAt: Date, rules: RiskRules): { from: Date; to: Date } {
  return { from: new Date(occurredAt.getTime() - rules.velocity.windowSeconds * 1000), to: occurredAt };
}

export function assessPayment(payment: PaymentToAssess, rules: RiskRules, history: DebtorHistory): Assessment {
  const reasons: RiskReason[] = [];
  const ratios: number[] = [];
  const { amountMinor, currency } = payment;

  if (rules.blockedAccounts.includes(payment.debtorAccountId)) {
    reasons.push('RISK_BLOCKED_ACCOUNT');
    ratios.push(1);
  }

  const amountLimit = limitInMinor(amountLimitFor(rules, currency), currency);
  ratios.push(ratio(amountMinor, amountLimit));
  if (amountMinor > amountLimit) reasons.push('RISK_AMOUNT_LIMIT');

  if (history.approvedPayments < rules.newAccount.firstPayments) {
    const newLimit = limitInMinor(rules.newAccount.limit, currency);
    ratios.push(ratio(amountMinor, newLimit));
    if (amountMinor > newLimit) reasons.push('RISK_NEW_ACCOUNT_LIMIT');
  }

  const count = history.windowCount + 1;
  ratios.push(ratio(BigInt(count), BigInt(rules.velocity.maxCount)));
  if (count > rules.velocity.maxCount) reasons.push('RISK_VELOCITY_COUNT');

  const total = history.windowAmountMinor + amountMinor;
  const maxTotal = limitInMinor(rules.velocity.maxAmount, currency);
  ratios.push(ratio(total, maxTotal));
  if (total > maxTotal) reasons.push('RISK_VELOCITY_AMOUNT');

  const score = Math.min(1, Math.max(0, ...ratios));
  return { decision: reasons.length ? 'REJECT' : 'APPROVE', score, reasons };
}

/** value / limit to four decimals, computed on bigints (money never becomes a float before this point). */
function ratio(value: bigint, limit: bigint): number {
  if (limit <= 0n) return value > 0n ? 1 : 0;
  const scaled = (value * 10_000n) / limit;
  return scaled > 10_000n ? 1 : Number(scaled) / 10_000;
}
