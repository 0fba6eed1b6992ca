import { EntityManager } from 'typeorm';
import { AuditRecord, ChainHead } from '../chain/audit-record';

interface RecordRow {
  sequence: string;
  event_id: string;
  type: string;
  topic: string;
  partition: number;
  offset: string;
  payment_id: string;
  debtor_account_id: string | null;
  creditor_account_id: string | null;
  occurred_at: Date;
  recorded_at: Date;
  event: unknown;
  previous_hash: string;
  hash: string;
}

export interface AuditQuery {
  paymentId?: string;
  accountId?: string;
  type?: string;
  from?: Date;
  to?: Date;
  afterSequence?: number;
  limit: number;
}

const COLUMNS = `sequence, event_id, type, topic, partition, "offset", payment_id, debtor_account_id,
  creditor_account_id, occurred_at, recorded_at, event, previous_hash, hash`;

/** INSERT-only access to audit_events (UPDATE/DELETE are refused by the table's triggers anyway). */
export class AuditTrailRepository {
  /**
   * Locks the chain head for the rest of the transaction. Every appender goes through this row,
   * so appends are serialised: a second batch (another partition, another instance) waits here
   * until the first commits and then reads the head the first one left.
   */
  async lockHead(db: EntityManager): Promise<ChainHead> {
    const rows: { last_sequence: string; last_hash: string }[] = await db.query(
      `SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE`,
    );
    if (!rows[0]) throw new Error('audit_chain_head is missing: the migration did not run');
    return { sequence: Number(rows[0].last_sequence), hash: rows[0].last_hash };
  }

  async readHead(db: EntityManager): Promise<ChainHead> {
    const rows: { last_sequence: string; last_hash: string }[] = await db.query(
      `SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1`,
    );
    return { sequence: Number(rows[0].last_sequence), hash: rows[0].last_hash };
  }

  /** Appends records (already chained) and moves the head to the last one, in the caller's transaction. */
  async append(db: EntityManager, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One statement per batch through unnest: arrays of each column instead of N×14 parameters.
    await db.query(
      `INSERT INTO audit_events (${COLUMNS})
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[],
                            $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::jsonb[],
                            $13::text[], $14::text[])`,
      [
        records.map((r) => r.sequence),
        records.map((r) => r.eventId),
        records.map((r) => r.type),
        records.map((r) => r.topic),
        records.map((r) => r.partition),
        records.map((r) => r.offset),
        records.map((r) => r.paymentId),
        records.map((r) => r.debtorAccountId),
        records.map((r) => r.creditorAccountId),
        records.map((r) => r.occurredAt),
        records.map((r) => r.recordedAt),
        records.map((r) => JSON.stringify(r.event)),
        records.map((r) => r.previousHash),
        records.map((r) => r.hash),
      ],
    );
    const last = records[records.length - 1];
    await db.query(`UPDATE audit_chain_head SET last_sequence = $1, last_hash = $2 WHERE id = 1`, [
      last.sequence,
      last.hash,
    ]);
  }

  async find(db: EntityManager, q: AuditQuery): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.paymentId !== undefined) add('payment_id = ?', q.paymentId);
    if (q.accountId !== undefined) {
      params.push(q.accountId);
      where.push(`(debtor_account_id = $${params.length} OR creditor_account_id = $${params.length})`);
    }
    if (q.type !== undefined) add('type = ?', q.type);
    if (q.from !== undefined) add('occurred_at >= ?', q.from.toISOString());
    if (q.to !== undefined) add('occurred_at < ?', q.to.toISOString());
    if (q.afterSequence !== undefined) add('sequence > ?', q.afterSequence);
    params.push(q.limit);
    const rows: RecordRow[] = await db.query(
      `SELECT ${COLUMNS} FROM audit_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       ORDER BY sequence LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  /** A page of the whole chain in sequence order, for verification. */
  async page(db: EntityManager, afterSequence: number, limit: number): Promise<AuditRecord[]> {
    const rows: RecordRow[] = await db.query(
      `SELECT ${COLUMNS} FROM audit_events WHERE sequence > $1 ORDER BY sequence LIMIT $2`,
      [afterSequence, limit],
    );
    return rows.map(toRecord);
  }
}

function toRecord(r: RecordRow): AuditRecord {
  return {
    sequence: Number(r.sequence),
    eventId: r.event_id,
    type: r.type,
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    paymentId: r.payment_id,
    debtorAccountId: r.debtor_account_id,
    creditorAccountId: r.creditor_account_id,
    occurredAt: new Date(r.occurred_at).toISOString(),
    recordedAt: new Date(r.recorded_at).toISOString(),
    event: r.event,
    previousHash: r.previous_hash,
    hash: r.hash,
  };
}
