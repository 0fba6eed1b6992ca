import type { LedgerRefusal } from '@paystream/contracts';
import type { Account } from './account';
import { JournalEntry, transferEntry } from './journal';

/** payment.authorized in the ledger's terms: amounts already parsed to minor units. */
export interface AuthorizedPayment {
  paymentId: string;
  debtorAccountId: string;
  creditorAccountId: string;
  amount: bigint;
  currency: string;
  authorizedAt: Date;
}

export type AuthorizationDecision = { kind: 'post'; entry: JournalEntry } | { kind: 'refuse'; reason: LedgerRefusal };

/** An event no ledger state could ever accept (the payment service validates these first). */
export class ImpossiblePaymentError extends Error {
  constructor(
    readonly code: 'NON_POSITIVE_AMOUNT' | 'SAME_ACCOUNT',
    message: string,
  ) {
    super(message);
    this.name = 'ImpossiblePaymentError';
  }
}

/**
 * The ledger's one decision (DESIGN.md §4): taken once, on payment.authorized, and recorded as
 * ledger.posted or ledger.refused. `debtor`/`creditor` are the accounts as locked by the caller
 * (undefined when they do not exist); their balances must be current.
 */
export function decideAuthorization(
  payment: AuthorizedPayment,
  debtor: Account | undefined,
  creditor: Account | undefined,
): AuthorizationDecision {
  if (payment.amount <= 0n) throw new ImpossiblePaymentError('NON_POSITIVE_AMOUNT', `amount ${payment.amount} ≤ 0`);
  if (payment.debtorAccountId === payment.creditorAccountId) {
    throw new ImpossiblePaymentError('SAME_ACCOUNT', `debtor and creditor are both ${payment.debtorAccountId}`);
  }
  if (!debtor || !creditor) return { kind: 'refuse', reason: 'ACCOUNT_NOT_FOUND' };
  if (debtor.currency !== payment.currency || creditor.currency !== payment.currency) {
    return { kind: 'refuse', reason: 'CURRENCY_MISMATCH' };
  }
  if (!debtor.allowOverdraft && debtor.balance < payment.amount)
    return { kind: 'refuse', reason: 'INSUFFICIENT_FUNDS' };
  return {
    kind: 'post',
    entry: transferEntry(
      payment.paymentId,
      payment.debtorAccountId,
      payment.creditorAccountId,
      payment.amount,
      payment.currency,
      payment.authorizedAt,
    ),
  };
}

/** Applies a posted entry to the in-memory accounts it touches (the caller persists them). */
export function applyEntry(entry: JournalEntry, accounts: Map<string, Account>): void {
  for (const p of entry.postings) {
    const account = accounts.get(p.accountId);
    if (!account) throw new Error(`account ${p.accountId} not loaded`);
    account.balance += p.amount;
  }
}
