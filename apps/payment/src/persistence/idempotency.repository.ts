import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface StoredResponse {
  fingerprint: string;
  requestBody: unknown;
  responseStatus: number;
  responseBody: unknown;
}

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

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
