import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface StoredResponse {
  fingerprint: string;
  requestBody: unknown;
  responseStatus: number;
  responseBody: unknown;
}

export interface KeyClaim {
  locked: boolean;
  /** The key's live record: the key was used before (replay or 422). */
  known?: StoredResponse;
}

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims each key for the current transaction without waiting and reads its live record, in one
   * round trip for the whole batch; one answer per key, in order. `locked: false` while another
   * transaction holds the key (another instance's request in flight → 409). The locks go with the
   * transaction's commit or rollback. The keys must be distinct (the advisory lock is re-entrant
   * within a transaction, so a repeated key would be claimed twice).
   *
   * The records are read with the statement's snapshot, taken just before the locks: a first
   * request that commits and releases its lock in between is not seen here. The insert that
   * follows then finds its key taken (ON CONFLICT sees committed rows regardless of snapshots) and
   * the caller tries that request again in a new transaction, which sees the record. Two keys with
   * the same 64-bit hash in different transactions exclude each other: a spurious 409, never a
   * duplicate.
   */
  async claim(manager: EntityManager, keys: readonly string[], now: Date): Promise<KeyClaim[]> {
    const rows: {
      locked: boolean;
      fingerprint: string | null;
      request_body: unknown;
      response_status: number | null;
      response_body: unknown;
    }[] = await manager.query(
      // LATERAL: the lock function runs once per key, in the keys' order.
      `SELECT l.locked, k.fingerprint, k.request_body, k.response_status, k.response_body
         FROM unnest($1::text[]) WITH ORDINALITY AS r(key, ord)
         CROSS JOIN LATERAL pg_try_advisory_xact_lock(hashtextextended(r.key, 0)) AS l(locked)
         LEFT JOIN idempotency_keys k ON l.locked AND k.key = r.key AND k.expires_at > $2
        ORDER BY r.ord`,
      [keys, now],
    );
    if (rows.length !== keys.length) throw new Error(`claimed ${rows.length} of ${keys.length} keys`);
    return rows.map((row) => {
      if (!row.locked) return { locked: false };
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
    });
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
