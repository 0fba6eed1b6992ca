import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The runtime's tables (libs/messaging/README.md). Every app that produces or consumes spreads
 * `messagingMigrations` into its own list, so each service database has its own copy.
 */
export class MessagingTables1764072000000 implements MigrationInterface {
  name = 'MessagingTables1764072000000';

  async up(q: QueryRunner): Promise<void> {
    // txid: the writing transaction's id. The relay publishes only rows whose transaction is
    // older than every transaction still running (pg_snapshot_xmin), so a row with a lower id
    // whose transaction commits later is never overtaken (the commit-order gap).
    await q.query(`
      CREATE TABLE messaging_outbox (
        id          BIGSERIAL PRIMARY KEY,
        txid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
        topic       TEXT        NOT NULL,
        key         TEXT        NOT NULL,
        event_id    TEXT        NOT NULL,
        type        TEXT        NOT NULL,
        payload     JSONB       NOT NULL,
        headers     JSONB       NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        sent_at     TIMESTAMPTZ,
        failed_at   TIMESTAMPTZ,
        error       TEXT
      )`);
    // The relay's scan: pending rows in id order. Partial, so it stays small however many sent
    // rows are kept.
    await q.query(
      `CREATE INDEX messaging_outbox_pending ON messaging_outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL`,
    );
    await q.query(`CREATE INDEX messaging_outbox_sent ON messaging_outbox (sent_at) WHERE sent_at IS NOT NULL`);

    // Dedupe: one row per (group, event) ever applied. Kept forever, so a replay into the same
    // database never applies an event twice.
    await q.query(`
      CREATE TABLE messaging_processed_events (
        group_id     TEXT        NOT NULL,
        event_id     TEXT        NOT NULL,
        processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, event_id)
      )`);

    // The group's position per partition: the truth on assignment (Kafka's committed offset is a hint).
    await q.query(`
      CREATE TABLE messaging_consumer_offsets (
        group_id    TEXT        NOT NULL,
        topic       TEXT        NOT NULL,
        partition   INTEGER     NOT NULL,
        next_offset BIGINT      NOT NULL,
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);

    // kafka-transaction mode: what a source event emitted, committed with its dedupe row, so a
    // redelivered duplicate re-sends exactly these records (same eventIds) instead of deciding again.
    await q.query(`
      CREATE TABLE messaging_stored_outputs (
        group_id        TEXT  NOT NULL,
        source_event_id TEXT  NOT NULL,
        seq             INTEGER NOT NULL,
        topic           TEXT  NOT NULL,
        key             TEXT  NOT NULL,
        event_id        TEXT  NOT NULL,
        payload         JSONB NOT NULL,
        headers         JSONB NOT NULL,
        PRIMARY KEY (group_id, source_event_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE messaging_stored_outputs`);
    await q.query(`DROP TABLE messaging_consumer_offsets`);
    await q.query(`DROP TABLE messaging_processed_events`);
    await q.query(`DROP TABLE messaging_outbox`);
  }
}
