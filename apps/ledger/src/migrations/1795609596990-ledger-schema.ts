import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger: accounts with their current balance, journal entries and their postings (BIGINT
 * minor units), refusals, the payment outcomes the ledger learnt from payment-events, and the
 * settlement mismatches it raised an alarm for.
 */
export class LedgerSchema1795609596990 implements MigrationInterface {
  name = 'LedgerSchema1795609596990';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id               varchar(64) PRIMARY KEY,
        currency         char(3)     NOT NULL,
        allow_overdraft  boolean     NOT NULL DEFAULT false,
        name             varchar(200),
        balance          bigint      NOT NULL DEFAULT 0,
        created_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE journal_entries (
        id          uuid        PRIMARY KEY,
        payment_id  varchar(64) NOT NULL,
        posted_at   timestamptz NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        -- At most one entry per payment, whatever the redelivery or race.
        CONSTRAINT journal_entries_one_per_payment UNIQUE (payment_id)
      )`);
    await q.query(`
      CREATE TABLE postings (
        entry_id    uuid        NOT NULL REFERENCES journal_entries (id),
        seq         smallint    NOT NULL,
        account_id  varchar(64) NOT NULL REFERENCES accounts (id),
        amount      bigint      NOT NULL,
        currency    char(3)     NOT NULL,
        posted_at   timestamptz NOT NULL,
        PRIMARY KEY (entry_id, seq)
      )`);
    // Statements (newest first, keyset paging) and balances as of a time read this index.
    await q.query(`CREATE INDEX postings_account_time ON postings (account_id, posted_at DESC, entry_id DESC)`);
    await q.query(`
      CREATE TABLE refusals (
        payment_id           varchar(64) PRIMARY KEY,
        reason               varchar(40) NOT NULL,
        debtor_account_id    varchar(64) NOT NULL,
        creditor_account_id  varchar(64) NOT NULL,
        amount               bigint      NOT NULL,
        currency             char(3)     NOT NULL,
        refused_at           timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE payment_outcomes (
        payment_id   varchar(64) PRIMARY KEY,
        status       varchar(16) NOT NULL CHECK (status IN ('SETTLED', 'FAILED')),
        reason       varchar(64),
        event_id     uuid        NOT NULL,
        occurred_at  timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX payment_outcomes_time ON payment_outcomes (occurred_at)`);
    await q.query(`
      CREATE TABLE settlement_mismatches (
        event_id     uuid        PRIMARY KEY,
        payment_id   varchar(64) NOT NULL,
        reason       varchar(32) NOT NULL,
        detail       text        NOT NULL,
        detected_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settlement_mismatches`);
    await q.query(`DROP TABLE payment_outcomes`);
    await q.query(`DROP TABLE refusals`);
    await q.query(`DROP TABLE postings`);
    await q.query(`DROP TABLE journal_entries`);
    await q.query(`DROP TABLE accounts`);
  }
}
