import type { PostingLine } from './journal';

export interface SettlementMismatch {
  reason: 'NO_ENTRY' | 'ENTRY_ID_DIFFERS' | 'POSTINGS_DIFFER';
  detail: string;
}

function canonical(postings: readonly PostingLine[]): string {
  return postings
    .map((p) => `${p.accountId}|${p.currency}|${p.amount}`)
    .sort()
    .join(';');
}

/**
 * payment.settled repeats the postings the ledger published; anything else than the journal's
 * own entry means a bug or tampering somewhere between the two services (an alarm, never fixed
 * silently).
 */
export function checkSettlement(
  journal: { id: string; postings: readonly PostingLine[] } | undefined,
  settled: { journalEntryId: string; postings: readonly PostingLine[] },
): SettlementMismatch | undefined {
  if (!journal) return { reason: 'NO_ENTRY', detail: `no journal entry for entry ${settled.journalEntryId}` };
  if (journal.id !== settled.journalEntryId) {
    return { reason: 'ENTRY_ID_DIFFERS', detail: `journal ${journal.id}, settled ${settled.journalEntryId}` };
  }
  const mine = canonical(journal.postings);
  const theirs = canonical(settled.postings);
  if (mine !== theirs) return { reason: 'POSTINGS_DIFFER', detail: `journal [${mine}], settled [${theirs}]` };
  return undefined;
}
