import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PaymentStatus } from '../aggregate/chunk-aggregate';
import { sqlRows } from '@paystream/persistence';
import { LatencySketch } from '../sketch/latency-sketch';
import type { AnalyticsWindow } from './analytics-query.schema';
import type { StatusTotals } from './summary';

export interface TopAccount {
  accountId: string;
  payments: bigint;
  volume: bigint;
}

/** Reads of the per-minute aggregates; a window merges its minutes by summing. */
@Injectable()
export class AnalyticsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async statusTotalsByMinute(w: AnalyticsWindow): Promise<Map<string, Map<PaymentStatus, StatusTotals>>> {
    const rows = await sqlRows<{ minute: Date; status: PaymentStatus; payments: string; volume: string }>(
      this.dataSource,
      `SELECT minute, status, payments, volume FROM analytics_status_minute
        WHERE currency = $1 AND minute >= $2 AND minute < $3`,
      [w.currency, w.from, w.to],
    );
    const out = new Map<string, Map<PaymentStatus, StatusTotals>>();
    for (const r of rows) {
      const key = r.minute.toISOString();
      const perStatus = out.get(key) ?? new Map<PaymentStatus, StatusTotals>();
      perStatus.set(r.status, { payments: BigInt(r.payments), volume: BigInt(r.volume) });
      out.set(key, perStatus);
    }
    return out;
  }

  async statusTotals(w: AnalyticsWindow): Promise<Map<PaymentStatus, StatusTotals>> {
    const rows = await sqlRows<{ status: PaymentStatus; payments: string; volume: string }>(
      this.dataSource,
      `SELECT status, sum(payments)::text AS payments, sum(volume)::text AS volume FROM analytics_status_minute
        WHERE currency = $1 AND minute >= $2 AND minute < $3
        GROUP BY status`,
      [w.currency, w.from, w.to],
    );
    return new Map(rows.map((r) => [r.status, { payments: BigInt(r.payments), volume: BigInt(r.volume) }]));
  }

  async latency(w: AnalyticsWindow): Promise<LatencySketch> {
    const rows = await sqlRows<{ bucket: number; count: string }>(
      this.dataSource,
      `SELECT bucket, sum(count)::text AS count FROM analytics_settle_latency_minute
        WHERE currency = $1 AND minute >= $2 AND minute < $3
        GROUP BY bucket`,
      [w.currency, w.from, w.to],
    );
    return LatencySketch.fromBuckets(rows.map((r) => [r.bucket, Number(r.count)] as const));
  }

  async latencyByMinute(w: AnalyticsWindow): Promise<Map<string, LatencySketch>> {
    const rows = await sqlRows<{ minute: Date; bucket: number; count: string }>(
      this.dataSource,
      `SELECT minute, bucket, count FROM analytics_settle_latency_minute
        WHERE currency = $1 AND minute >= $2 AND minute < $3`,
      [w.currency, w.from, w.to],
    );
    const out = new Map<string, LatencySketch>();
    for (const r of rows) {
      const key = r.minute.toISOString();
      const sketch = out.get(key) ?? new LatencySketch();
      sketch.addToBucket(r.bucket, Number(r.count));
      out.set(key, sketch);
    }
    return out;
  }

  async topAccounts(w: AnalyticsWindow): Promise<TopAccount[]> {
    if (w.top === 0) return [];
    const rows = await sqlRows<{ account_id: string; payments: string; volume: string }>(
      this.dataSource,
      `SELECT account_id, sum(payments)::text AS payments, sum(volume)::text AS volume FROM analytics_account_minute
        WHERE currency = $1 AND minute >= $2 AND minute < $3
        GROUP BY account_id
        ORDER BY sum(volume) DESC, account_id
        LIMIT $4`,
      [w.currency, w.from, w.to, w.top],
    );
    return rows.map((r) => ({ accountId: r.account_id, payments: BigInt(r.payments), volume: BigInt(r.volume) }));
  }
}
