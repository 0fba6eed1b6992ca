import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface StoredResponse {
  fingerprint: string;
  requestBody: unknown;
  responseStatus: number;
  responseBody: unknown;
}

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims the key for the current transaction without waiting and reads its live record, in one
   * round trip. `locked: false` while another request with the key is in flight (→ 409). The lock
   * goes with the transaction's commit or rollback.
   *
   * The record is read with the statement's snapshot, taken just before the lock: a first request
   * that commits and releases the lock in between is not seen here. The insert that follows then
   * finds the key taken (ON CONFLICT sees committed rows regardless of snapshots) and the caller
   * retries in a new transaction, which sees the record. Two keys with the same 64-bit hash also
   * exclude each other: a spurious 409, never a duplicate.
   */
  async claim(manager: EntityManager, key: string, now: Date): Promise<{ locked: boolean; known?: StoredResponse }> {
    const rows: {
      locked: boolean;
      fingerprint: string | null;
      request_body: unknown;
      response_status: number | null;
      response_body: unknown;
    }[] = await manager.query(
      `SELECT l.locked, k.fingerprint, k.request_body, k.response_status, k.response_body
         FROM pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS l(locked)
         LEFT JOIN idempotency_keys k ON l.locked AND k.key = $1 AND k.expires_at > $2`,
      [key, now],
    );
    const row = rows[0];
    if (!row?.locked) return { locked: false };
    if (row.fingerprint === null || row.response_status === null) return { locked: true };
    return {
      locked: true,
      known: {
        fingerprint: row.fingerprint,
        requestBody: row.request_body,
        responseStatus: row.response_status,
        responseBody: row.response_body,
      },
    };
  }

  /** Deletes up to `batch` expired keys; returns how many. Small batches keep each transaction short. */
  async purgeExpired(now: Date, batch = 1000): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM idempotency_keys
        WHERE key IN (SELECT key FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2)`,
      [now, batch],
    );
    return result[1];
  }
}
