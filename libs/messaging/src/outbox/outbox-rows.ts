import type { EntityManager } from 'typeorm';
import type { AnyEvent } from '@paystream/contracts';
import type { EventHeaders } from '../headers';

/** One row of `messaging_outbox` to insert. */
export interface OutboxRow {
  topic: string;
  key: string;
  event: AnyEvent;
  headers: EventHeaders;
}

export const OUTBOX_CHANNEL = 'messaging_outbox';

/**
 * One multi-row INSERT for any number of messages, and a NOTIFY that PostgreSQL delivers only
 * when (and if) the caller's transaction commits: the relay wakes for committed rows only.
 * Rows get increasing ids in array order, which is the publishing order per key.
 */
export async function insertOutboxRows(manager: EntityManager, rows: OutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await manager.query(
    `WITH inserted AS (
       INSERT INTO messaging_outbox (topic, key, event_id, type, payload, headers)
       SELECT topic, key, event_id, type, payload, headers FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[])
         WITH ORDINALITY AS r(topic, key, event_id, type, payload, headers, ord)
       ORDER BY ord
       RETURNING id
     )
     SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM (SELECT 1 FROM inserted LIMIT 1) AS any_row`,
    [
      rows.map((r) => r.topic),
      rows.map((r) => r.key),
      rows.map((r) => r.event.eventId),
      rows.map((r) => r.event.type),
      rows.map((r) => JSON.stringify(r.event)),
      rows.map((r) => JSON.stringify(r.headers)),
    ],
  );
}
