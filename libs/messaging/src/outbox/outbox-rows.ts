import type { EntityManager } from 'typeorm';
import type { AnyEvent } from '@paystream/contracts';
import type { EventHeaders } from '../headers';
import { OutboxSignal } from './outbox-signal';

/** One row of `messaging_outbox` to insert. */
export interface OutboxRow {
  topic: string;
  key: string;
  event: AnyEvent;
  headers: EventHeaders;
}

export const OUTBOX_CHANNEL = 'messaging_outbox';

/**
 * One multi-row INSERT for any number of messages. The relay of this process is woken when (and
 * if) the caller's transaction commits, by OutboxSignal (no NOTIFY: see there why).
 * Rows get increasing ids in array order, which is the publishing order per key.
 */
export async function insertOutboxRows(manager: EntityManager, rows: OutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  OutboxSignal.for(manager.connection).markAppended(manager.queryRunner);
  await manager.query(
    `INSERT INTO messaging_outbox (topic, key, event_id, type, payload, headers)
     SELECT topic, key, event_id, type, payload, headers
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[])
            WITH ORDINALITY AS r(topic, key, event_id, type, payload, headers, ord)
      ORDER BY ord`,
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

/**
 * The outbox INSERT for a writer that makes it part of one statement of its own (a data-modifying
 * CTE of a single autocommit statement, which is atomic without BEGIN and COMMIT): `select` must
 * yield topic, key, event_id, type, payload (jsonb) and headers (jsonb) in publishing order, with
 * values from `Outbox.rowValues`. After the statement the writer wakes the relay with
 * `OutboxSignal.for(dataSource).committed()`.
 */
export function outboxInsertFrom(select: string): string {
  return `INSERT INTO messaging_outbox (topic, key, event_id, type, payload, headers) ${select}`;
}
