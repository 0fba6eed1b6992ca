import type { Account } from '../domain/account';
import { Sql, rows } from './sql';

export interface StoredAccount extends Account {
  createdAt: Date;
}

export interface StatementLine {
  entryId: string;
  paymentId: string;
  amount: bigint;
  currency: string;
  postedAt: Date;
  counterpartyAccountId: string | null;
}

export interface StatementPage {
  lines: StatementLine[];
  /** Opaque keyset cursor of the last line, when more lines follow. */
  next: { postedAtMicros: string; entryId: string } | undefined;
}

export interface LedgerChecksumRow {
  checksum: string;
  entries: number;
  postings: number;
}

interface AccountRow {
  id: string;
  currency: string;
  allow_overdraft: boolean;
  name: string | null;
  balance: string;
  created_at: Date;
}

export async function findAccount(sql: Sql, id: string): Promise<StoredAccount | undefined> {
  const [r] = await rows<AccountRow>(
    sql,
    `SELECT id, currency, allow_overdraft, name, balance, created_at FROM accounts WHERE id = $1`,
    [id],
  );
  if (!r) return undefined;
  return {
    id: r.id,
    currency: r.currency,
    allowOverdraft: r.allow_overdraft,
    name: r.name,
    balance: BigInt(r.balance),
    createdAt: r.created_at,
  };
}

/** The balance from the postings booked at or before `asOf` (the current balance needs no sum). */
export async function balanceAsOf(sql: Sql, accountId: string, asOf: Date): Promise<bigint> {
  const [r] = await rows<{ total: string }>(
    sql,
    `SELECT COALESCE(sum(amount), 0)::text AS total FROM postings WHERE account_id = $1 AND posted_at <= $2`,
    [accountId, asOf.toISOString()],
  );
  return BigInt(r.total);
}

/** Newest first, keyset-paged on (posted_at, entry_id) so pages never skip or repeat a line. */
export async function statement(
  sql: Sql,
  accountId: string,
  limit: number,
  after: { postedAtMicros: string; entryId: string } | undefined,
): Promise<StatementPage> {
  const found = await rows<{
    entry_id: string;
    payment_id: string;
    amount: string;
    currency: string;
    posted_at: Date;
    posted_us: string;
    counterparty: string | null;
  }>(
    sql,
    `SELECT p.entry_id, e.payment_id, p.amount, p.currency, p.posted_at,
            (extract(epoch FROM p.posted_at) * 1000000)::bigint::text AS posted_us,
            (SELECT q.account_id FROM postings q
              WHERE q.entry_id = p.entry_id AND q.account_id <> p.account_id ORDER BY q.seq LIMIT 1) AS counterparty
       FROM postings p JOIN journal_entries e ON e.id = p.entry_id
      WHERE p.account_id = $1
        AND ($2::bigint IS NULL
             OR (p.posted_at, p.entry_id) < ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid))
      ORDER BY p.posted_at DESC, p.entry_id DESC
      LIMIT $4`,
    [accountId, after?.postedAtMicros ?? null, after?.entryId ?? null, limit + 1],
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    lines: page.map((r) => ({
      entryId: r.entry_id,
      paymentId: r.payment_id,
      amount: BigInt(r.amount),
      currency: r.currency,
      postedAt: r.posted_at,
      counterpartyAccountId: r.counterparty,
    })),
    next: found.length > limit && last ? { postedAtMicros: last.posted_us, entryId: last.entry_id } : undefined,
  };
}

/**
 * The same canonical lines and order as domain/checksum.ts, hashed by PostgreSQL (entry id as
 * uuid compares bytewise, which is the order of its hex text; account ids compare in "C"
 * collation, i.e. bytewise). With `asOf`, only entries booked at or before it.
 */
export async function ledgerChecksum(sql: Sql, asOf?: Date): Promise<LedgerChecksumRow> {
  const [r] = await rows<{ checksum: string; entries: string; postings: string }>(
    sql,
    `SELECT encode(sha256(convert_to(COALESCE(string_agg(line || E'\\n', '' ORDER BY entry_id, account_id COLLATE "C",
                                                         line COLLATE "C"), ''), 'UTF8')), 'hex') AS checksum,
            count(DISTINCT entry_id)::text AS entries, count(*)::text AS postings
       FROM (SELECT p.entry_id, p.account_id,
                    p.entry_id::text || '|' || p.account_id || '|' || p.currency || '|' || p.amount::text AS line
               FROM postings p
              WHERE $1::timestamptz IS NULL OR p.posted_at <= $1::timestamptz) l`,
    [asOf?.toISOString() ?? null],
  );
  return { checksum: r.checksum, entries: Number(r.entries), postings: Number(r.postings) };
}
