import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail: append-only, hash-chained.
 *
 * How "the app cannot UPDATE or DELETE" is enforced: REVOKE plus triggers (not SET ROLE).
 * - Triggers raise on every UPDATE, DELETE and TRUNCATE of audit_events, for every role,
 *   the table owner and superusers included: it holds however the app is deployed (our local
 *   stack connects as the owner, where privileges alone would change nothing). Only a deliberate
 *   act by a superuser gets past them (ALTER TABLE … DISABLE TRIGGER, session_replication_role =
 *   replica), and that is what GET /v1/audit/verify detects.
 * - REVOKE UPDATE, DELETE, TRUNCATE from PUBLIC: a deployment that runs the app as a non-owner
 *   login role (the recommended production set-up) is refused by the privilege system as well.
 * - SET ROLE was not chosen: the app shares one connection pool (libs/persistence) with the
 *   messaging runtime and the migrations, which need other rights, and a superuser session can
 *   RESET ROLE at any time, so it would protect nothing that the trigger does not.
 */
export class AuditTrail1764091000000 implements MigrationInterface {
  name = 'AuditTrail1764091000000';

  async up(db: QueryRunner): Promise<void> {
    // The single row every append locks (FOR UPDATE) in its batch transaction: appends are
    // strictly sequential across instances and partitions, so no two records ever get the same
    // sequence or chain to the same previous hash (a fork). It also lets verify notice records
    // cut off the end of the chain.
    await db.query(`
      CREATE TABLE audit_chain_head (
        id            smallint PRIMARY KEY CHECK (id = 1),
        last_sequence bigint   NOT NULL CHECK (last_sequence >= 0),
        last_hash     char(64) NOT NULL
      )`);
    await db.query(`INSERT INTO audit_chain_head (id, last_sequence, last_hash) VALUES (1, 0, repeat('0', 64))`);
    await db.query(`
      CREATE TABLE audit_events (
        sequence            bigint       PRIMARY KEY CHECK (sequence >= 1),
        event_id            varchar(64)  NOT NULL UNIQUE,
        type                varchar(64)  NOT NULL,
        topic               varchar(255) NOT NULL,
        partition           integer      NOT NULL,
        "offset"            bigint       NOT NULL,
        payment_id          varchar(64)  NOT NULL,
        debtor_account_id   varchar(64),
        creditor_account_id varchar(64),
        occurred_at         timestamptz  NOT NULL,
        recorded_at         timestamptz  NOT NULL,
        event               jsonb        NOT NULL,
        previous_hash       char(64)     NOT NULL,
        hash                char(64)     NOT NULL
      )`);
    // The filters of GET /v1/audit/events, each with the sequence for keyset paging.
    await db.query(`CREATE INDEX audit_events_payment_idx ON audit_events (payment_id, sequence)`);
    await db.query(`CREATE INDEX audit_events_debtor_idx ON audit_events (debtor_account_id, sequence)`);
    await db.query(`CREATE INDEX audit_events_creditor_idx ON audit_events (creditor_account_id, sequence)`);
    await db.query(`CREATE INDEX audit_events_type_idx ON audit_events (type, sequence)`);
    await db.query(`CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at)`);

    await db.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC`);
    await db.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await db.query(`
      CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await db.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE audit_events`);
    await db.query(`DROP FUNCTION audit_events_append_only()`);
    await db.query(`DROP TABLE audit_chain_head`);
  }
}
