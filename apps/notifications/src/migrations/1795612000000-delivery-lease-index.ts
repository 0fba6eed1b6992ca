import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dispatcher counts live leases per webhook on every poll (per-endpoint concurrency). Leases
 * are cleared when an attempt is recorded, so this partial index stays as small as the number
 * of calls in flight.
 */
export class DeliveryLeaseIndex1795612000000 implements MigrationInterface {
  name = 'DeliveryLeaseIndex1795612000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (webhook_id) WHERE claimed_until IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_leased`);
  }
}
