import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-minute aggregates of payment events, written by the `analytics` group in its batch
 * transactions (counts and volumes in minor units, latency sketch buckets, account volumes),
 * and the start times of payments still in flight (for the initiated → settled latency).
 */
export class AnalyticsSchema1795610000000 implements MigrationInterface {
  name = 'AnalyticsSchema1795610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_status_minute (
        currency  char(3)     NOT NULL,
        minute    timestamptz NOT NULL,
        status    varchar(16) NOT NULL,
        payments  bigint      NOT NULL,
        volume    bigint      NOT NULL,
        PRIMARY KEY (currency, minute, status)
      )`);
    // One mergeable sketch per currency and minute: its non-empty buckets as rows.
    await q.query(`
      CREATE TABLE analytics_settle_latency_minute (
        currency  char(3)     NOT NULL,
        minute    timestamptz NOT NULL,
        bucket    integer     NOT NULL,
        count     bigint      NOT NULL,
        PRIMARY KEY (currency, minute, bucket)
      )`);
    await q.query(`
      CREATE TABLE analytics_account_minute (
        currency    char(3)     NOT NULL,
        minute      timestamptz NOT NULL,
        account_id  varchar(64) NOT NULL,
        payments    bigint      NOT NULL,
        volume      bigint      NOT NULL,
        PRIMARY KEY (currency, minute, account_id)
      )`);
    await q.query(`
      CREATE TABLE analytics_open_payments (
        payment_id    varchar(64) PRIMARY KEY,
        initiated_at  timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE analytics_open_payments`);
    await q.query(`DROP TABLE analytics_account_minute`);
    await q.query(`DROP TABLE analytics_settle_latency_minute`);
    await q.query(`DROP TABLE analytics_status_minute`);
  }
}
