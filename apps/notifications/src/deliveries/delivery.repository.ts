import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { sqlRows } from '@paystream/persistence';

/** One claimed delivery with what the dispatcher needs to send it. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  url: string;
  body: string;
  attempts: number;
  attemptLimit: number;
  claimToken: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

export interface AttemptView {
  attempt: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  manual: boolean;
}

export interface DeliveryView {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  attemptLog: AttemptView[];
}

export interface AttemptRecord {
  delivery: ClaimedDelivery;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  /** DELIVERED, DEAD, or PENDING again after `retryInMs`. */
  outcome: 'DELIVERED' | 'DEAD' | 'PENDING';
  retryInMs: number;
}

interface ClaimRow {
  id: string;
  webhook_id: string;
  event_id: string;
  url: string;
  body: string;
  attempts: number;
  attempt_limit: number;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
}

interface DeliveryRow {
  id: string;
  seq: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  manual: boolean;
}

@Injectable()
export class DeliveryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * In the consumer's batch transaction: one delivery per event and webhook whose filter
   * matches, for a whole chunk of events in one statement. ON CONFLICT keeps it at exactly one
   * even if an event were ever handed over again (the runtime's dedupe row already prevents
   * that; the unique constraint is the second line). Returns the rows created per event.
   */
  static async createForEvents(
    manager: EntityManager,
    events: Array<{ eventId: string; type: string; body: string }>,
    attemptLimit: number,
  ): Promise<Map<string, number>> {
    const rows = await sqlRows<{ event_id: string }>(
      manager,
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body, attempt_limit)
       SELECT w.id, e.event_id, e.type, e.body, $4
         FROM unnest($1::text[], $2::text[], $3::text[]) AS e (event_id, type, body)
         JOIN webhooks w ON w.deleted_at IS NULL AND w.events && ARRAY['*', e.type]::text[]
       ON CONFLICT (event_id, webhook_id) DO NOTHING
       RETURNING event_id`,
      [events.map((e) => e.eventId), events.map((e) => e.type), events.map((e) => e.body), attemptLimit],
    );
    const created = new Map(events.map((e) => [e.eventId, 0]));
    for (const r of rows) created.set(r.event_id, (created.get(r.event_id) ?? 0) + 1);
    return created;
  }

  static async createForEvent(
    manager: EntityManager,
    event: { eventId: string; type: string },
    body: string,
    attemptLimit: number,
  ): Promise<number> {
    const created = await DeliveryRepository.createForEvents(manager, [{ ...event, body }], attemptLimit);
    return created.get(event.eventId) ?? 0;
  }

  /**
   * Claims due deliveries for one dispatch round, at most `perWebhook` in flight per webhook.
   *
   * FOR UPDATE SKIP LOCKED: several dispatcher instances poll the same table; each locks the
   * rows it is looking at and the others skip them instead of waiting, so no row is claimed
   * twice and no poller blocks behind another. The lock lives only for this short transaction:
   * the claim itself is a lease (claimed_until) so that no transaction stays open across the
   * HTTP call, and a dispatcher that dies mid-call only delays the delivery until the lease ends.
   */
  async claimDue(limit: number, perWebhook: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.dataSource.transaction(async (manager) => {
      const candidates = await sqlRows<{ id: string; webhook_id: string }>(
        manager,
        // Webhooks already at their limit are left out here, so that one endpoint with a
        // large backlog cannot fill every candidate slot and starve the others.
        `SELECT id, webhook_id FROM webhook_deliveries
          WHERE status = 'PENDING' AND next_attempt_at <= now()
            AND (claimed_until IS NULL OR claimed_until <= now())
            AND webhook_id NOT IN (
              SELECT webhook_id FROM webhook_deliveries
               WHERE claimed_until IS NOT NULL AND claimed_until > now() AND status = 'PENDING'
               GROUP BY webhook_id HAVING count(*) >= $2)
          ORDER BY next_attempt_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [limit * 4, perWebhook],
      );
      if (candidates.length === 0) return [];
      const webhookIds = [...new Set(candidates.map((c) => c.webhook_id))];
      // Calls in flight per webhook, from every instance: live leases.
      const busy = await sqlRows<{ webhook_id: string; n: string }>(
        manager,
        `SELECT webhook_id, count(*) AS n FROM webhook_deliveries
          WHERE webhook_id = ANY($1::uuid[]) AND claimed_until IS NOT NULL AND claimed_until > now()
            AND status = 'PENDING'
          GROUP BY webhook_id`,
        [webhookIds],
      );
      const inFlight = new Map(busy.map((b) => [b.webhook_id, Number(b.n)]));
      const chosen: string[] = [];
      for (const c of candidates) {
        const n = inFlight.get(c.webhook_id) ?? 0;
        if (n >= perWebhook || chosen.length >= limit) continue;
        inFlight.set(c.webhook_id, n + 1);
        chosen.push(c.id);
      }
      if (chosen.length === 0) return [];
      const token = randomUUID();
      const rows = await sqlRows<ClaimRow>(
        manager,
        `UPDATE webhook_deliveries d
            SET claimed_until = now() + make_interval(secs => $2::double precision / 1000), claim_token = $3
           FROM webhooks w
          WHERE d.id = ANY($1::uuid[]) AND w.id = d.webhook_id
          RETURNING d.id, d.webhook_id, d.event_id, w.url, d.body, d.attempts, d.attempt_limit,
                    w.secret, w.previous_secret, w.previous_secret_expires_at`,
        [chosen, leaseMs, token],
      );
      return rows.map((r) => ({
        id: r.id,
        webhookId: r.webhook_id,
        eventId: r.event_id,
        url: r.url,
        body: r.body,
        attempts: r.attempts,
        attemptLimit: r.attempt_limit,
        claimToken: token,
        secret: r.secret,
        previousSecret: r.previous_secret,
        previousSecretExpiresAt: r.previous_secret_expires_at,
      }));
    });
  }

  /**
   * Records one attempt and the delivery's next state. The state only changes while our claim
   * still holds (claim_token): if the lease ran out and another dispatcher took over, its
   * result is the one that counts; the attempt is logged either way.
   */
  async recordAttempt(r: AttemptRecord): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, manual)
         SELECT $1, $2, $3, $4, $5, $6, manual_redelivery FROM webhook_deliveries WHERE id = $1`,
        [r.delivery.id, r.delivery.attempts + 1, r.startedAt, r.durationMs, r.statusCode, r.error],
      );
      await manager.query(
        `UPDATE webhook_deliveries
            SET attempts = attempts + 1,
                status = CASE WHEN status = 'PENDING' THEN $3 ELSE status END,
                next_attempt_at = now() + make_interval(secs => $4::double precision / 1000),
                delivered_at = CASE WHEN $3 = 'DELIVERED' THEN now() ELSE delivered_at END,
                last_status_code = $5, last_error = $6,
                claimed_until = NULL, claim_token = NULL, manual_redelivery = false
          WHERE id = $1 AND claim_token = $2`,
        [r.delivery.id, r.delivery.claimToken, r.outcome, r.retryInMs, r.statusCode, r.error],
      );
    });
  }

  /** Manual redelivery: one more attempt now, whatever the delivery's state (not for cancelled ones). */
  async redeliver(webhookId: string, deliveryId: string): Promise<boolean> {
    const rows = await sqlRows(
      this.dataSource,
      `UPDATE webhook_deliveries
          SET status = 'PENDING', next_attempt_at = now(),
              attempt_limit = GREATEST(attempt_limit, attempts + 1),
              manual_redelivery = true,
              claimed_until = NULL, claim_token = NULL
        WHERE id = $1 AND webhook_id = $2 AND status <> 'CANCELLED'
        RETURNING id`,
      [deliveryId, webhookId],
    );
    return rows.length === 1;
  }

  async find(webhookId: string, deliveryId: string): Promise<DeliveryView | undefined> {
    const rows = await sqlRows<DeliveryRow>(
      this.dataSource,
      `SELECT * FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2`,
      [deliveryId, webhookId],
    );
    return (await this.withAttempts(rows))[0];
  }

  /** Newest first, keyset paging on the delivery's sequence number. */
  async list(webhookId: string, limit: number, before?: bigint): Promise<{ items: DeliveryView[]; next?: string }> {
    const rows = await sqlRows<DeliveryRow>(
      this.dataSource,
      `SELECT * FROM webhook_deliveries
        WHERE webhook_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
        ORDER BY seq DESC LIMIT $3`,
      [webhookId, before === undefined ? null : before.toString(), limit + 1],
    );
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? page[page.length - 1].seq : undefined;
    return { items: await this.withAttempts(page), next };
  }

  private async withAttempts(rows: DeliveryRow[]): Promise<DeliveryView[]> {
    if (rows.length === 0) return [];
    const attempts = await sqlRows<AttemptRow>(
      this.dataSource,
      `SELECT * FROM webhook_delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY id`,
      [rows.map((r) => r.id)],
    );
    const byDelivery = new Map<string, AttemptView[]>();
    for (const a of attempts) {
      const list = byDelivery.get(a.delivery_id) ?? [];
      list.push({
        attempt: a.attempt,
        startedAt: a.started_at.toISOString(),
        durationMs: a.duration_ms,
        statusCode: a.status_code,
        error: a.error,
        manual: a.manual,
      });
      byDelivery.set(a.delivery_id, list);
    }
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      eventId: r.event_id,
      eventType: r.event_type,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'PENDING' ? r.next_attempt_at.toISOString() : null,
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      createdAt: r.created_at.toISOString(),
      deliveredAt: r.delivered_at ? r.delivered_at.toISOString() : null,
      attemptLog: byDelivery.get(r.id) ?? [],
    }));
  }
}
