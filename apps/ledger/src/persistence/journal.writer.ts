import type { Account } from '../domain/account';
import type { JournalEntry } from '../domain/journal';
import { Sql, rows } from './sql';

export interface RefusalRow {
  paymentId: string;
  reason: string;
  debtorAccountId: string;
  creditorAccountId: string;
  amount: bigint;
  currency: string;
  refusedAt: Date;
}

export interface OutcomeRow {
  paymentId: string;
  status: 'SETTLED' | 'FAILED';
  reason: string | null;
  eventId: string;
  occurredAt: Date;
}

export interface MismatchRow {
  eventId: string;
  paymentId: string;
  reason: string;
  detail: string;
}

interface AccountRow {
  id: string;
  currency: string;
  allow_overdraft: boolean;
  name: string | null;
  balance: string;
}

/**
 * Locks the accounts' rows in one statement, in ascending id order, and returns them current.
 * Two payments between the same accounts in opposite directions would otherwise each hold one
 * row and wait for the other's (a deadlock); with one global order every waiter queues behind
 * the holder instead. A batch that locks several payments' accounts one after another can still
 * meet another batch in a cycle: PostgreSQL detects that (40P01) and the runtime retries it.
 */
export async function lockAccounts(sql: Sql, ids: readonly string[]): Promise<Account[]> {
  if (!ids.length) return [];
  const found = await rows<AccountRow>(
    sql,
    `SELECT id, currency, allow_overdraft, name, balance FROM accounts
      WHERE id = ANY($1::varchar[]) ORDER BY id FOR UPDATE`,
    [[...ids]],
  );
  return found.map((r) => ({
    id: r.id,
    currency: r.currency,
    allowOverdraft: r.allow_overdraft,
    name: r.name,
    balance: BigInt(r.balance),
  }));
}

/** The payments among `paymentIds` that already have an entry or a refusal. */
export async function alreadyDecided(sql: Sql, paymentIds: readonly string[]): Promise<string[]> {
  if (!paymentIds.length) return [];
  const found = await rows<{ payment_id: string }>(
    sql,
    `SELECT payment_id FROM journal_entries WHERE payment_id = ANY($1::varchar[])
     UNION ALL SELECT payment_id FROM refusals WHERE payment_id = ANY($1::varchar[])`,
    [[...paymentIds]],
  );
  return found.map((r) => r.payment_id);
}

/** The columns of journal entry rows, as arrays for `unnest` (one statement, any batch size). */
function entryColumns(entries: readonly JournalEntry[]): unknown[] {
  return [entries.map((e) => e.id), entries.map((e) => e.paymentId), entries.map((e) => e.postedAt.toISOString())];
}

/**
 * The entries' posting rows as columns (seq, account, amount, currency) and, per row, the index of
 * its entry in `entries`.
 */
function postingLines(entries: readonly JournalEntry[]): { owner: number[]; columns: unknown[] } {
  const owner: number[] = [];
  const seqs: number[] = [];
  const accounts: string[] = [];
  const amounts: string[] = [];
  const currencies: string[] = [];
  entries.forEach((e, n) =>
    e.postings.forEach((p, i) => {
      owner.push(n);
      seqs.push(i);
      accounts.push(p.accountId);
      amounts.push(p.amount.toString());
      currencies.push(p.currency);
    }),
  );
  return { owner, columns: [seqs, accounts, amounts, currencies] };
}

/** The columns of the entries' posting rows (each booked at its entry's time), for `unnest`. */
function postingColumns(entries: readonly JournalEntry[]): unknown[] {
  const { owner, columns } = postingLines(entries);
  const times = entries.map((e) => e.postedAt.toISOString());
  return [owner.map((n) => entries[n].id), ...columns, owner.map((n) => times[n])];
}

function refusalColumns(refusals: readonly RefusalRow[]): unknown[] {
  return [
    refusals.map((r) => r.paymentId),
    refusals.map((r) => r.reason),
    refusals.map((r) => r.debtorAccountId),
    refusals.map((r) => r.creditorAccountId),
    refusals.map((r) => r.amount.toString()),
    refusals.map((r) => r.currency),
    refusals.map((r) => r.refusedAt.toISOString()),
  ];
}

function outcomeColumns(outcomes: readonly OutcomeRow[]): unknown[] {
  return [
    outcomes.map((o) => o.paymentId),
    outcomes.map((o) => o.status),
    outcomes.map((o) => o.reason),
    outcomes.map((o) => o.eventId),
    outcomes.map((o) => o.occurredAt.toISOString()),
  ];
}

const ENTRY_ROWS = (p: number) => `unnest($${p}::uuid[], $${p + 1}::varchar[], $${p + 2}::timestamptz[])`;
const POSTING_ROWS = (p: number) =>
  `unnest($${p}::uuid[], $${p + 1}::smallint[], $${p + 2}::varchar[], $${p + 3}::bigint[], $${p + 4}::char(3)[],
          $${p + 5}::timestamptz[]) AS p(entry_id, seq, account_id, amount, currency, posted_at)`;
const REFUSAL_ROWS = (p: number) =>
  `unnest($${p}::varchar[], $${p + 1}::varchar[], $${p + 2}::varchar[], $${p + 3}::varchar[], $${p + 4}::bigint[],
          $${p + 5}::char(3)[], $${p + 6}::timestamptz[])`;
const OUTCOME_ROWS = (p: number) =>
  `unnest($${p}::varchar[], $${p + 1}::varchar[], $${p + 2}::varchar[], $${p + 3}::uuid[], $${p + 4}::timestamptz[])`;
const INSERT_ENTRIES = 'INSERT INTO journal_entries (id, payment_id, posted_at)';
const INSERT_POSTINGS = 'INSERT INTO postings (entry_id, seq, account_id, amount, currency, posted_at)';
const INSERT_REFUSALS = `INSERT INTO refusals (payment_id, reason, debtor_account_id, creditor_account_id, amount, currency,
                                          refused_at)`;
const INSERT_OUTCOMES = 'INSERT INTO payment_outcomes (payment_id, status, reason, event_id, occurred_at)';

/** Multi-row inserts (one statement per table, whatever the batch size). */
export async function insertEntries(sql: Sql, entries: readonly JournalEntry[]): Promise<void> {
  if (!entries.length) return;
  await sql.query(`${INSERT_ENTRIES} SELECT * FROM ${ENTRY_ROWS(1)}`, entryColumns(entries));
  await sql.query(`${INSERT_POSTINGS} SELECT p.* FROM ${POSTING_ROWS(1)}`, postingColumns(entries));
}

/** Writes the balances the batch computed on its locked rows. */
export async function setBalances(sql: Sql, accounts: readonly Account[]): Promise<void> {
  if (!accounts.length) return;
  await sql.query(
    `UPDATE accounts a SET balance = v.balance
       FROM unnest($1::varchar[], $2::bigint[]) AS v(id, balance) WHERE a.id = v.id`,
    [accounts.map((a) => a.id), accounts.map((a) => a.balance.toString())],
  );
}

export async function insertRefusals(sql: Sql, refusals: readonly RefusalRow[]): Promise<void> {
  if (!refusals.length) return;
  await sql.query(
    `${INSERT_REFUSALS} SELECT * FROM ${REFUSAL_ROWS(1)} ON CONFLICT (payment_id) DO NOTHING`,
    refusalColumns(refusals),
  );
}

export async function insertOutcomes(sql: Sql, outcomes: readonly OutcomeRow[]): Promise<void> {
  if (!outcomes.length) return;
  // The first outcome of a payment wins; a contradicting later one shows up in the invariants.
  await sql.query(
    `${INSERT_OUTCOMES} SELECT * FROM ${OUTCOME_ROWS(1)} ON CONFLICT (payment_id) DO NOTHING`,
    outcomeColumns(outcomes),
  );
}

export async function insertMismatches(sql: Sql, mismatches: readonly MismatchRow[]): Promise<void> {
  if (!mismatches.length) return;
  await sql.query(
    `INSERT INTO settlement_mismatches (event_id, payment_id, reason, detail)
     SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::text[])`,
    [
      mismatches.map((m) => m.eventId),
      mismatches.map((m) => m.paymentId),
      mismatches.map((m) => m.reason),
      mismatches.map((m) => m.detail),
    ],
  );
}

export interface StoredEntry {
  id: string;
  postings: { accountId: string; amount: bigint; currency: string }[];
}

/** The journal entries of these payments with their postings, by payment id (settlement checks). */
export async function findEntriesOfPayments(
  sql: Sql,
  paymentIds: readonly string[],
): Promise<Map<string, StoredEntry>> {
  const entries = new Map<string, StoredEntry>();
  if (!paymentIds.length) return entries;
  const found = await rows<{ payment_id: string; id: string; account_id: string; amount: string; currency: string }>(
    sql,
    `SELECT e.payment_id, e.id, p.account_id, p.amount, p.currency FROM journal_entries e
       JOIN postings p ON p.entry_id = e.id WHERE e.payment_id = ANY($1::varchar[]) ORDER BY e.payment_id, p.seq`,
    [[...paymentIds]],
  );
  for (const r of found) {
    let entry = entries.get(r.payment_id);
    if (!entry) entries.set(r.payment_id, (entry = { id: r.id, postings: [] }));
    entry.postings.push({ accountId: r.account_id, amount: BigInt(r.amount), currency: r.currency });
  }
  return entries;
}

/** Balances from the postings (the rebuild derives them once at the end instead of per batch). */
export async function recomputeBalances(sql: Sql): Promise<void> {
  await sql.query(
    `UPDATE accounts a SET balance = COALESCE(s.total, 0)
       FROM accounts a2 LEFT JOIN (SELECT account_id, sum(amount) AS total FROM postings GROUP BY account_id) s
         ON s.account_id = a2.id
      WHERE a.id = a2.id`,
  );
}

/**
 * The rebuild's late booking times (events written before they carried one): each payment's entry,
 * its postings and its refusal get the payment's authorization time. With `asOf`, the entries of
 * `untimed` payments now booked after it are removed with their postings and SETTLED outcomes, as
 * the replay leaves out a timed entry booked after `asOf` (it could not tell before the look-up).
 */
export async function setBookingTimes(
  sql: Sql,
  untimed: ReadonlySet<string>,
  times: ReadonlyMap<string, Date>,
  asOf?: Date,
): Promise<void> {
  const ids = [...times.keys()];
  const at = [...times.values()].map((t) => t.toISOString());
  const values = `unnest($1::varchar[], $2::timestamptz[]) AS v(payment_id, at)`;
  await sql.query(`UPDATE journal_entries e SET posted_at = v.at FROM ${values} WHERE e.payment_id = v.payment_id`, [
    ids,
    at,
  ]);
  await sql.query(
    `UPDATE postings p SET posted_at = v.at FROM journal_entries e, ${values}
      WHERE e.payment_id = v.payment_id AND p.entry_id = e.id`,
    [ids, at],
  );
  await sql.query(`UPDATE refusals r SET refused_at = v.at FROM ${values} WHERE r.payment_id = v.payment_id`, [
    ids,
    at,
  ]);
  if (!asOf) return;
  const late = `SELECT id, payment_id FROM journal_entries WHERE payment_id = ANY($1::varchar[]) AND posted_at > $2`;
  const params = [[...untimed], asOf.toISOString()];
  await sql.query(`DELETE FROM postings WHERE entry_id IN (SELECT id FROM (${late}) l)`, params);
  await sql.query(
    `DELETE FROM payment_outcomes WHERE status = 'SETTLED' AND payment_id IN (SELECT payment_id FROM (${late}) l)`,
    params,
  );
  await sql.query(`DELETE FROM journal_entries WHERE id IN (SELECT id FROM (${late}) l)`, params);
}
