import { PermanentError } from '@paystream/messaging';
import type { PostingLine } from '../domain/journal';
import type { RefusalRow } from './journal.writer';
import type { Sql } from './sql';

const quoted = (v: string | null) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`);

/**
 * A PostgreSQL array literal of strings, each quoted (so commas, braces, spaces and the word NULL
 * stay data); null is SQL NULL. Written here rather than by node-postgres, whose generic array
 * conversion escapes every element with two regular expressions: for the ~140,000 values of
 * 20,000 replayed events that was a large part of the replay's JavaScript time. Without nulls the
 * values are joined first, NUL as the separator, and escaped in one pass over the joined text (a
 * NUL inside a value, which PostgreSQL text cannot hold anyway, would shift the columns: refused).
 */
export function textArray(values: readonly (string | null)[]): string {
  if (values.some((v) => v !== null && v.includes('\0')))
    throw new PermanentError('BAD_TEXT', 'a replayed text value holds a NUL character');
  if (values.some((v) => v === null)) return `{${values.map(quoted).join(',')}}`;
  if (values.length === 0) return '{}';
  return `{"${values.join('\0').replace(/[\\"]/g, '\\$&').replaceAll('\0', '","')}"}`;
}

/** A PostgreSQL array literal of integers (bigint minor units as decimal strings, or numbers). */
export function integerArray(values: readonly (number | string)[]): string {
  return `{${values.join(',')}}`;
}

/**
 * A time sent as milliseconds since the epoch (an integer: no timestamp text to format here and
 * parse in PostgreSQL), turned back into a timestamptz exactly.
 */
const AT = (millis: string) => `(timestamptz 'epoch' + ${millis} * interval '1 millisecond')`;

/**
 * The rows one chunk of the replay writes, kept as columns from the start: the entries, their
 * postings (each naming its entry by position, 1-based), the outcomes and the refusals. Per
 * payment the chunk keeps the first entry, outcome and refusal it meets (a replay may meet two
 * settlement or failure records of one payment); across chunks, keepFirstPerPayment does.
 */
export class ReplayRows {
  readonly entryIds: string[] = [];
  readonly entryPayments: string[] = [];
  readonly entryMillis: number[] = [];
  readonly postingEntry: number[] = [];
  readonly postingSeq: number[] = [];
  readonly postingAccount: string[] = [];
  readonly postingAmount: string[] = [];
  readonly postingCurrency: string[] = [];
  readonly outcomePayments: string[] = [];
  readonly outcomeStatus: string[] = [];
  readonly outcomeReason: (string | null)[] = [];
  readonly outcomeEvent: string[] = [];
  readonly outcomeMillis: number[] = [];
  readonly refusalPayments: string[] = [];
  readonly refusalReason: string[] = [];
  readonly refusalDebtor: string[] = [];
  readonly refusalCreditor: string[] = [];
  readonly refusalAmount: string[] = [];
  readonly refusalCurrency: string[] = [];
  readonly refusalMillis: number[] = [];
  private readonly entryOf = new Set<string>();
  private readonly outcomeOf = new Set<string>();
  private readonly refusalOf = new Set<string>();

  /** The payment's entry, unless the chunk has one for it already (the first record wins). */
  addEntry(id: string, paymentId: string, postedAtMillis: number, postings: readonly PostingLine[]): void {
    if (this.entryOf.has(paymentId)) return;
    this.entryOf.add(paymentId);
    this.entryIds.push(id);
    this.entryPayments.push(paymentId);
    this.entryMillis.push(postedAtMillis);
    const n = this.entryIds.length;
    postings.forEach((p, seq) => {
      this.postingEntry.push(n);
      this.postingSeq.push(seq);
      this.postingAccount.push(p.accountId);
      this.postingAmount.push(p.amount.toString());
      this.postingCurrency.push(p.currency);
    });
  }

  addOutcome(paymentId: string, status: 'SETTLED' | 'FAILED', reason: string | null, eventId: string, at: number) {
    if (this.outcomeOf.has(paymentId)) return;
    this.outcomeOf.add(paymentId);
    this.outcomePayments.push(paymentId);
    this.outcomeStatus.push(status);
    this.outcomeReason.push(reason);
    this.outcomeEvent.push(eventId);
    this.outcomeMillis.push(at);
  }

  /** A refusal, its time (`refusedAt`) given in milliseconds instead. */
  addRefusal(r: Omit<RefusalRow, 'refusedAt'>, refusedAtMillis: number): void {
    if (this.refusalOf.has(r.paymentId)) return;
    this.refusalOf.add(r.paymentId);
    this.refusalPayments.push(r.paymentId);
    this.refusalReason.push(r.reason);
    this.refusalDebtor.push(r.debtorAccountId);
    this.refusalCreditor.push(r.creditorAccountId);
    this.refusalAmount.push(r.amount.toString());
    this.refusalCurrency.push(r.currency);
    this.refusalMillis.push(refusedAtMillis);
  }

  get empty(): boolean {
    return !this.entryIds.length && !this.outcomePayments.length && !this.refusalPayments.length;
  }
}

/**
 * The rebuild's write of one chunk: entries, their postings, outcomes and refusals in a single
 * statement (one round trip per chunk; data-modifying CTEs all run, referenced or not). A posting
 * names its entry by position (`WITH ORDINALITY`) and takes the entry's id and time from it. The
 * tables have no keys during the load (bulk-load.ts): every row is appended, and a payment met
 * again in a later chunk leaves a second row that keepFirstPerPayment removes at the end.
 */
export async function insertReplayed(sql: Sql, rows: ReplayRows): Promise<void> {
  if (rows.empty) return;
  await sql.query(
    `WITH e AS (
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::bigint[]) WITH ORDINALITY AS e(id, payment_id, ms, n)
     ), entries AS (
       INSERT INTO journal_entries (id, payment_id, posted_at)
       SELECT id, payment_id, ${AT('ms')} FROM e
     ), postings AS (
       INSERT INTO postings (entry_id, seq, account_id, amount, currency, posted_at)
       SELECT e.id, p.seq, p.account_id, p.amount, p.currency, ${AT('e.ms')}
         FROM unnest($4::int[], $5::smallint[], $6::varchar[], $7::bigint[], $8::char(3)[])
              AS p(n, seq, account_id, amount, currency)
         JOIN e ON e.n = p.n
     ), refusals AS (
       INSERT INTO refusals (payment_id, reason, debtor_account_id, creditor_account_id, amount, currency, refused_at)
       SELECT payment_id, reason, debtor, creditor, amount, currency, ${AT('ms')}
         FROM unnest($9::varchar[], $10::varchar[], $11::varchar[], $12::varchar[], $13::bigint[], $14::char(3)[],
                     $15::bigint[]) AS r(payment_id, reason, debtor, creditor, amount, currency, ms)
     ), outcomes AS (
       INSERT INTO payment_outcomes (payment_id, status, reason, event_id, occurred_at)
       SELECT payment_id, status, reason, event_id, ${AT('ms')}
         FROM unnest($16::varchar[], $17::varchar[], $18::varchar[], $19::uuid[], $20::bigint[])
              AS o(payment_id, status, reason, event_id, ms)
     )
     SELECT 1`,
    [
      textArray(rows.entryIds),
      textArray(rows.entryPayments),
      integerArray(rows.entryMillis),
      integerArray(rows.postingEntry),
      integerArray(rows.postingSeq),
      textArray(rows.postingAccount),
      integerArray(rows.postingAmount),
      textArray(rows.postingCurrency),
      textArray(rows.refusalPayments),
      textArray(rows.refusalReason),
      textArray(rows.refusalDebtor),
      textArray(rows.refusalCreditor),
      integerArray(rows.refusalAmount),
      textArray(rows.refusalCurrency),
      integerArray(rows.refusalMillis),
      textArray(rows.outcomePayments),
      textArray(rows.outcomeStatus),
      textArray(rows.outcomeReason),
      textArray(rows.outcomeEvent),
      integerArray(rows.outcomeMillis),
    ],
  );
}

/**
 * After the load, before the keys come back: per payment, the entry (with its postings), the
 * outcome and the refusal that the replay wrote first, as ON CONFLICT DO NOTHING on the keys
 * would have kept them. "First" is the oldest writing transaction (`age(xmin)`, which counts
 * across a wrap of transaction ids): a payment's records are all on its partition, whose chunks
 * commit one after the other in offset order, and within a chunk ReplayRows kept the first.
 * Postings go with their entry row (same transaction, same entry id). Returns the rows removed.
 */
export async function keepFirstPerPayment(sql: Sql): Promise<number> {
  let removed = 0;
  const newer = (table: string) =>
    `DELETE FROM ${table} a USING ${table} b
      WHERE a.payment_id = b.payment_id
        AND (age(a.xmin) < age(b.xmin) OR (a.xmin = b.xmin AND a.ctid > b.ctid))`;
  for (const statement of [
    newer('journal_entries'),
    `DELETE FROM postings p
      WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = p.entry_id AND e.xmin = p.xmin)`,
    newer('payment_outcomes'),
    newer('refusals'),
  ]) {
    const result = (await sql.query(statement)) as unknown;
    removed += Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }
  return removed;
}
