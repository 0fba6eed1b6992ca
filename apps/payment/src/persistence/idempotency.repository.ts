import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { IdempotencyKeyEntity } from './idempotency-key.entity';

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
   * Claims the key for the current transaction without waiting: false while another request with
   * the same key is in flight (→ 409). The lock goes with the transaction's commit or rollback, and
   * the commit is visible before the lock is released, so whoever gets the lock next sees the record.
   * Two keys with the same 64-bit hash would also exclude each other: a spurious 409, never a duplicate.
   */
  async tryLock(manager: EntityManager, key: string): Promise<boolean> {
    const rows: { locked: boolean }[] = await manager.query(
      'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
      [key],
    );
    return rows[0]?.locked === true;
  }

  /** The live (unexpired) record of a key. Must run after tryLock, in a later statement (fresh snapshot). */
  async find(manager: EntityManager, key: string, now: Date): Promise<StoredResponse | undefined> {
    const rows: {
      fingerprint: string;
      request_body: unknown;
      response_status: number;
      response_body: unknown;
    }[] = await manager.query(
      `SELECT fingerprint, request_body, response_status, response_body
         FROM idempotency_keys WHERE key = $1 AND expires_at > $2`,
      [key, now],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      fingerprint: row.fingerprint,
      requestBody: row.request_body,
      responseStatus: row.response_status,
      responseBody: row.response_body,
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

  async count(): Promise<number> {
    return this.dataSource.getRepository(IdempotencyKeyEntity).count();
  }
}
