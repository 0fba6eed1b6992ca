import { Sql, rows } from './sql';

export interface InvariantReport {
  name: string;
  description: string;
  holds: boolean;
  violations: number;
  /** Up to 10 offending rows, for the operator. */
  examples: Record<string, string>[];
}

interface InvariantQuery {
  name: string;
  description: string;
  /** Returns the violating rows; every column as text. */
  sql: string;
}

const CHECKS: InvariantQuery[] = [
  {
    name: 'postings-sum-to-zero-per-currency',
    description: 'Per currency, the postings of all accounts sum to zero',
    sql: `SELECT currency, sum(amount)::text AS total FROM postings GROUP BY currency HAVING sum(amount) <> 0`,
  },
  {
    name: 'entries-balanced',
    description: 'Every journal entry has postings summing to zero in each currency',
    sql: `SELECT entry_id::text, currency, sum(amount)::text AS total FROM postings
           GROUP BY entry_id, currency HAVING sum(amount) <> 0`,
  },
  {
    name: 'no-overdraft-below-zero',
    description: 'No account without overdraft has a balance below zero',
    sql: `SELECT id, balance::text FROM accounts WHERE NOT allow_overdraft AND balance < 0`,
  },
  {
    name: 'balances-match-postings',
    description: "Each account's balance equals the sum of its postings",
    sql: `SELECT a.id, a.balance::text, COALESCE(s.total, 0)::text AS postings_total
            FROM accounts a LEFT JOIN (SELECT account_id, sum(amount) AS total FROM postings GROUP BY account_id) s
              ON s.account_id = a.id
           WHERE a.balance <> COALESCE(s.total, 0)`,
  },
  {
    name: 'at-most-one-entry-per-payment',
    description: 'At most one journal entry per payment',
    sql: `SELECT payment_id, count(*)::text AS entries FROM journal_entries GROUP BY payment_id HAVING count(*) > 1`,
  },
  {
    name: 'settled-payments-have-one-entry',
    description: 'Every payment settled (payment.settled consumed) has exactly one journal entry',
    sql: `SELECT o.payment_id, count(e.id)::text AS entries FROM payment_outcomes o
            LEFT JOIN journal_entries e ON e.payment_id = o.payment_id
           WHERE o.status = 'SETTLED' GROUP BY o.payment_id HAVING count(e.id) <> 1`,
  },
  {
    name: 'failed-payments-have-no-entry',
    description: 'Every failed payment (payment.failed consumed) has no journal entry',
    sql: `SELECT o.payment_id, e.id::text AS entry_id FROM payment_outcomes o
            JOIN journal_entries e ON e.payment_id = o.payment_id WHERE o.status = 'FAILED'`,
  },
  {
    name: 'no-settlement-mismatch',
    description: 'No payment.settled carried postings other than the journal entry',
    sql: `SELECT event_id::text, payment_id, reason FROM settlement_mismatches`,
  },
];

export async function checkInvariants(sql: Sql): Promise<InvariantReport[]> {
  const reports: InvariantReport[] = [];
  for (const check of CHECKS) {
    const found = await rows<Record<string, string>>(sql, check.sql);
    reports.push({
      name: check.name,
      description: check.description,
      holds: found.length === 0,
      violations: found.length,
      examples: found.slice(0, 10),
    });
  }
  return reports;
}
