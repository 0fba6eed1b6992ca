import { createHash } from 'node:crypto';

export interface ChecksumPosting {
  entryId: string;
  accountId: string;
  amount: bigint;
  currency: string;
}

/**
 * The canonical line of one posting. The database computes the same lines in SQL
 * (ledger-checks/checksum.query.ts); the two must stay identical.
 */
export function postingLine(p: ChecksumPosting): string {
  return `${p.entryId}|${p.accountId}|${p.currency}|${p.amount}`;
}

/** Byte order (like COLLATE "C"), so JS and PostgreSQL sort identically. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SHA-256 over the postings' lines in canonical order (entry id, then account id, then the
 * line itself), each followed by "\n". Insertion order, partition interleaving and the
 * rebuild's batching cannot change it.
 */
export function ledgerChecksum(postings: readonly ChecksumPosting[]): string {
  const lines = postings
    .map((p) => ({ p, line: postingLine(p) }))
    .sort(
      (x, y) =>
        compareBytes(x.p.entryId, y.p.entryId) ||
        compareBytes(x.p.accountId, y.p.accountId) ||
        compareBytes(x.line, y.line),
    );
  const hash = createHash('sha256');
  for (const { line } of lines) hash.update(line + '\n');
  return hash.digest('hex');
}
