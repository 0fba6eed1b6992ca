import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook subscriptions, one delivery per (event, webhook) and every attempt of each delivery.
 */
export class NotificationsSchema1795609725714 implements MigrationInterface {
  name = 'NotificationsSchema1795609725714';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks (
        id                          uuid        PRIMARY KEY,
        url                         text        NOT NULL,
        events                      text[]      NOT NULL,
        secret                      text        NOT NULL,
        previous_secret             text,
        previous_secret_expires_at  timestamptz,
        created_at                  timestamptz NOT NULL DEFAULT now(),
        deleted_at                  timestamptz
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        seq             bigserial   NOT NULL UNIQUE,
        webhook_id      uuid        NOT NULL REFERENCES webhooks (id),
        event_id        text        NOT NULL,
        event_type      text        NOT NULL,
        -- The exact JSON sent (and signed) on every attempt.
        body            text        NOT NULL,
        status          text        NOT NULL DEFAULT 'PENDING'
                        CHECK (status IN ('PENDING', 'DELIVERED', 'DEAD', 'CANCELLED')),
        attempts        integer     NOT NULL DEFAULT 0,
        attempt_limit   integer     NOT NULL,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        -- A dispatcher's lease while its HTTP call is in flight; a crashed one's lease just expires.
        claimed_until   timestamptz,
        claim_token     uuid,
        -- Set by a manual redelivery until its attempt is logged.
        manual_redelivery boolean   NOT NULL DEFAULT false,
        last_status_code integer,
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        delivered_at    timestamptz,
        -- Exactly one delivery per event and webhook, whatever the redelivery of the event.
        CONSTRAINT webhook_deliveries_once UNIQUE (event_id, webhook_id)
      )`);
    // The dispatcher's scan: due pending deliveries. Partial, so delivered history costs nothing.
    await q.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING'`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq DESC)`);
    await q.query(`
      CREATE TABLE webhook_delivery_attempts (
        id           bigserial   PRIMARY KEY,
        delivery_id  uuid        NOT NULL REFERENCES webhook_deliveries (id),
        attempt      integer     NOT NULL,
        started_at   timestamptz NOT NULL,
        duration_ms  integer     NOT NULL,
        status_code  integer,
        error        text,
        manual       boolean     NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery_attempts`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhooks`);
  }
}
