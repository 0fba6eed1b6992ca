import { MigrationInterface, QueryRunner } from 'typeorm';

/** Versioned rules, the decisions, and each debtor's approved-payment count. */
export class RiskSchema1764090000000 implements MigrationInterface {
  name = 'RiskSchema1764090000000';

  async up(db: QueryRunner): Promise<void> {
    // One row per version, never updated: the history of every change (previous → new) is the
    // table itself. Version 1 (the defaults) is written at start-up, because its amount limit
    // comes from RISK_AMOUNT_LIMIT, which a migration must not read.
    await db.query(`
      CREATE TABLE risk_rule_versions (
        version        integer     PRIMARY KEY CHECK (version >= 1),
        rules          jsonb       NOT NULL,
        changed_at     timestamptz NOT NULL DEFAULT now(),
        correlation_id varchar(128)
      )`);
    await db.query(`
      CREATE TABLE risk_decisions (
        payment_id          varchar(64)  PRIMARY KEY,
        source_event_id     varchar(64)  NOT NULL UNIQUE,
        decision_event_id   varchar(64)  NOT NULL UNIQUE,
        debtor_account_id   varchar(64)  NOT NULL,
        creditor_account_id varchar(64)  NOT NULL,
        amount_minor        bigint       NOT NULL,
        currency            char(3)      NOT NULL,
        decision            varchar(8)   NOT NULL CHECK (decision IN ('APPROVE', 'REJECT')),
        score               double precision NOT NULL,
        reasons             text[]       NOT NULL,
        rule_version        integer      NOT NULL REFERENCES risk_rule_versions (version),
        occurred_at         timestamptz  NOT NULL,
        correlation_id      varchar(128) NOT NULL,
        decided_at          timestamptz  NOT NULL DEFAULT now()
      )`);
    // The velocity window query: approved payments of one debtor by occurredAt. Partial, since
    // only approvals count towards velocity.
    await db.query(`
      CREATE INDEX risk_decisions_velocity_idx ON risk_decisions (debtor_account_id, occurred_at)
        INCLUDE (amount_minor, currency) WHERE decision = 'APPROVE'`);
    // The new-account rule needs "approved payments ever" per debtor: a counter, kept in the same
    // transaction as the decision rows and the consumer's dedupe rows (exactly once).
    await db.query(`
      CREATE TABLE risk_account_activity (
        account_id        varchar(64) PRIMARY KEY,
        approved_payments bigint      NOT NULL CHECK (approved_payments >= 0),
        first_approved_at timestamptz NOT NULL,
        last_approved_at  timestamptz NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE risk_account_activity`);
    await db.query(`DROP TABLE risk_decisions`);
    await db.query(`DROP TABLE risk_rule_versions`);
  }
}
