import { MigrationInterface, QueryRunner } from 'typeorm';

/** Payments, their status history and the idempotency records of POST /v1/payments. */
export class PaymentSchema1764080000000 implements MigrationInterface {
  name = 'PaymentSchema1764080000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE payments (
        id                  uuid PRIMARY KEY,
        debtor_account_id   varchar(64)  NOT NULL,
        creditor_account_id varchar(64)  NOT NULL,
        amount_minor        bigint       NOT NULL CHECK (amount_minor > 0),
        currency            char(3)      NOT NULL,
        reference           varchar(140),
        metadata            jsonb,
        status              varchar(16)  NOT NULL
                            CHECK (status IN ('PENDING', 'AUTHORIZED', 'REJECTED', 'SETTLED', 'FAILED')),
        reason              varchar(64),
        version             integer      NOT NULL CHECK (version BETWEEN 1 AND 3),
        correlation_id      varchar(128) NOT NULL,
        created_at          timestamptz  NOT NULL,
        updated_at          timestamptz  NOT NULL,
        CHECK (debtor_account_id <> creditor_account_id)
      )`);
    // Ids are UUIDv7 (time-ordered): "newest first" is ORDER BY id DESC, and these indexes serve
    // each filter of GET /v1/payments with a keyset cursor (id < cursor).
    await db.query(`CREATE INDEX payments_debtor_idx ON payments (debtor_account_id, id DESC)`);
    await db.query(`CREATE INDEX payments_creditor_idx ON payments (creditor_account_id, id DESC)`);
    await db.query(`CREATE INDEX payments_status_idx ON payments (status, id DESC)`);
    await db.query(`
      CREATE TABLE payment_status_history (
        id              bigserial PRIMARY KEY,
        payment_id      uuid        NOT NULL REFERENCES payments (id),
        status          varchar(16) NOT NULL,
        reason          varchar(64),
        version         integer     NOT NULL,
        event_id        uuid        NOT NULL UNIQUE,
        cause_event_id  uuid,
        occurred_at     timestamptz NOT NULL,
        -- One change per version: a second decision for one payment can never add a row.
        UNIQUE (payment_id, version)
      )`);
    await db.query(`
      CREATE TABLE idempotency_keys (
        key             varchar(255) PRIMARY KEY,
        fingerprint     char(64)     NOT NULL,
        request_body    jsonb        NOT NULL,
        response_status smallint     NOT NULL,
        -- json, not jsonb: the replayed response is byte for byte the first one (key order kept).
        response_body   json         NOT NULL,
        payment_id      uuid         REFERENCES payments (id),
        created_at      timestamptz  NOT NULL,
        expires_at      timestamptz  NOT NULL
      )`);
    await db.query(`CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE idempotency_keys`);
    await db.query(`DROP TABLE payment_status_history`);
    await db.query(`DROP TABLE payments`);
  }
}
