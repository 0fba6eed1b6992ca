import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sqlRows } from '@paystream/persistence';
import { Webhook } from './webhook';

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
}

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    createdAt: row.created_at,
  };
}

const COLUMNS = 'id, url, events, secret, previous_secret, previous_secret_expires_at, created_at';

@Injectable()
export class WebhookRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(url: string, events: string[], secret: string): Promise<Webhook> {
    const rows = await sqlRows<WebhookRow>(
      this.dataSource,
      `INSERT INTO webhooks (id, url, events, secret) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [randomUUID(), url, events, secret],
    );
    return toWebhook(rows[0]);
  }

  async find(id: string): Promise<Webhook | undefined> {
    const rows = await sqlRows<WebhookRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM webhooks WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0] ? toWebhook(rows[0]) : undefined;
  }

  async list(): Promise<Webhook[]> {
    const rows = await sqlRows<WebhookRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id`,
    );
    return rows.map(toWebhook);
  }

  /** Soft delete (deliveries keep their history); pending deliveries are cancelled with it. */
  async delete(id: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await sqlRows(
        manager,
        `UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
        [id],
      );
      if (rows.length === 0) return false;
      await manager.query(
        `UPDATE webhook_deliveries SET status = 'CANCELLED', claimed_until = NULL, claim_token = NULL
          WHERE webhook_id = $1 AND status = 'PENDING'`,
        [id],
      );
      return true;
    });
  }

  /** The new secret signs from now on; the current one keeps signing for `graceSeconds`. */
  async rotate(id: string, secret: string, graceSeconds: number): Promise<Webhook | undefined> {
    const rows = await sqlRows<WebhookRow>(
      this.dataSource,
      `UPDATE webhooks
          SET previous_secret = secret,
              previous_secret_expires_at = now() + make_interval(secs => $3),
              secret = $2
        WHERE id = $1 AND deleted_at IS NULL
        RETURNING ${COLUMNS}`,
      [id, secret, graceSeconds],
    );
    return rows[0] ? toWebhook(rows[0]) : undefined;
  }
}
