import type { EntityManager } from 'typeorm';
import { sqlRows } from '@paystream/persistence';
import { LatencySketch } from '../sketch/latency-sketch';
import { ChunkAggregate, sortedCells } from './chunk-aggregate';

/**
 * Writes one chunk's sums in the chunk's transaction: a handful of statements per chunk
 * whatever its size. Every upsert adds to what is stored (`+ EXCLUDED.…`), and the rows are
 * sorted first so that two chunks committing at once lock shared rows in the same order.
 */
export async function writeChunkAggregate(manager: EntityManager, chunk: ChunkAggregate): Promise<void> {
  const statusCells = sortedCells(chunk.statusCells.values(), (c) => c.status);
  if (statusCells.length) {
    await manager.query(
      `INSERT INTO analytics_status_minute (currency, minute, status, payments, volume)
       SELECT * FROM unnest($1::char(3)[], $2::timestamptz[], $3::varchar[], $4::bigint[], $5::bigint[])
       ON CONFLICT (currency, minute, status) DO UPDATE
         SET payments = analytics_status_minute.payments + EXCLUDED.payments,
             volume = analytics_status_minute.volume + EXCLUDED.volume`,
      [
        statusCells.map((c) => c.currency),
        statusCells.map((c) => c.minute),
        statusCells.map((c) => c.status),
        statusCells.map((c) => c.payments.toString()),
        statusCells.map((c) => c.volume.toString()),
      ],
    );
  }

  const accountCells = sortedCells(chunk.accountCells.values(), (c) => c.accountId);
  if (accountCells.length) {
    await manager.query(
      `INSERT INTO analytics_account_minute (currency, minute, account_id, payments, volume)
       SELECT * FROM unnest($1::char(3)[], $2::timestamptz[], $3::varchar[], $4::bigint[], $5::bigint[])
       ON CONFLICT (currency, minute, account_id) DO UPDATE
         SET payments = analytics_account_minute.payments + EXCLUDED.payments,
             volume = analytics_account_minute.volume + EXCLUDED.volume`,
      [
        accountCells.map((c) => c.currency),
        accountCells.map((c) => c.minute),
        accountCells.map((c) => c.accountId),
        accountCells.map((c) => c.payments.toString()),
        accountCells.map((c) => c.volume.toString()),
      ],
    );
  }

  if (chunk.starts.size) {
    // DO NOTHING: a payment is initiated once; its first recorded start is the one that counts.
    const ids = [...chunk.starts.keys()].sort();
    await manager.query(
      `INSERT INTO analytics_open_payments (payment_id, initiated_at)
       SELECT * FROM unnest($1::varchar[], $2::timestamptz[])
       ON CONFLICT (payment_id) DO NOTHING`,
      [ids, ids.map((id) => new Date(chunk.starts.get(id)!).toISOString())],
    );
  }

  if (chunk.settlements.length) {
    // The start may come from this chunk (just inserted above) or from any earlier one.
    const starts = await sqlRows<{ payment_id: string; initiated_at: Date }>(
      manager,
      `SELECT payment_id, initiated_at FROM analytics_open_payments WHERE payment_id = ANY($1::varchar[])`,
      [chunk.settlements.map((s) => s.paymentId)],
    );
    const startOf = new Map(starts.map((s) => [s.payment_id, s.initiated_at.getTime()]));
    const sketches = new Map<string, { currency: string; minute: string; sketch: LatencySketch }>();
    for (const s of chunk.settlements) {
      const start = startOf.get(s.paymentId);
      if (start === undefined) continue; // settled without a known start (consumed from mid-topic)
      const key = `${s.currency}|${s.minute}`;
      const entry = sketches.get(key) ?? { currency: s.currency, minute: s.minute, sketch: new LatencySketch() };
      entry.sketch.record(s.settledAt - start);
      sketches.set(key, entry);
    }
    const rows = sortedCells(
      [...sketches.values()].flatMap(({ currency, minute, sketch }) =>
        sketch.buckets().map(([bucket, count]) => ({ currency, minute, bucket, count })),
      ),
      (r) => String(r.bucket).padStart(8, '0'),
    );
    if (rows.length) {
      await manager.query(
        `INSERT INTO analytics_settle_latency_minute (currency, minute, bucket, count)
         SELECT * FROM unnest($1::char(3)[], $2::timestamptz[], $3::int[], $4::bigint[])
         ON CONFLICT (currency, minute, bucket) DO UPDATE
           SET count = analytics_settle_latency_minute.count + EXCLUDED.count`,
        [rows.map((r) => r.currency), rows.map((r) => r.minute), rows.map((r) => r.bucket), rows.map((r) => r.count)],
      );
    }
  }

  if (chunk.finished.size) {
    await manager.query(`DELETE FROM analytics_open_payments WHERE payment_id = ANY($1::varchar[])`, [
      [...chunk.finished].sort(),
    ]);
  }
}
