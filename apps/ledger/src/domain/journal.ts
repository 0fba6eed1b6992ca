import { v5 as uuidv5 } from 'uuid';

/** One line of a journal entry: negative debits the account, positive credits it. */
export interface PostingLine {
  accountId: string;
  amount: bigint;
  currency: string;
}

export interface JournalEntry {
  id: string;
  paymentId: string;
  postedAt: Date;
  postings: PostingLine[];
}

export class UnbalancedEntryError extends Error {
  readonly code = 'UNBALANCED_ENTRY';
  constructor(
    readonly currency: string,
    readonly sum: bigint,
  ) {
    super(`postings in ${currency} sum to ${sum}, not zero`);
    this.name = 'UnbalancedEntryError';
  }
}

// Fixed namespace of journal entry ids. Deriving the id from the payment id (UUIDv5) is what
// lets a rebuild by replay reproduce the live entry byte for byte, whatever the interleaving.
const JOURNAL_NAMESPACE = '6f1c2a8e-4b7d-5e93-9a0c-3d5f7b1e2c40';

export function journalEntryIdFor(paymentId: string): string {
  return uuidv5(`payment:${paymentId}`, JOURNAL_NAMESPACE);
}

/** Per currency, the sum of the postings (double entry: every value must be 0n). */
export function sumsByCurrency(postings: readonly PostingLine[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const p of postings) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amount);
  return sums;
}

/** Throws UnbalancedEntryError unless the postings sum to zero in every currency. */
export function assertBalanced(postings: readonly PostingLine[]): void {
  if (postings.length < 2) throw new UnbalancedEntryError(postings[0]?.currency ?? '-', postings[0]?.amount ?? 0n);
  for (const [currency, sum] of sumsByCurrency(postings)) {
    if (sum !== 0n) throw new UnbalancedEntryError(currency, sum);
  }
}

/** A transfer: debit the debtor, credit the creditor, same amount. */
export function transferEntry(
  paymentId: string,
  debtorAccountId: string,
  creditorAccountId: string,
  amount: bigint,
  currency: string,
  postedAt: Date,
): JournalEntry {
  const postings: PostingLine[] = [
    { accountId: debtorAccountId, amount: -amount, currency },
    { accountId: creditorAccountId, amount, currency },
  ];
  assertBalanced(postings);
  return { id: journalEntryIdFor(paymentId), paymentId, postedAt, postings };
}
