import { createDataSource } from '@paystream/persistence';
import type { DataSource } from 'typeorm';
import type { LedgerConfig } from '../config';
import { ledgerMigrations } from '../migrations';
import { ledgerEntities } from '../persistence';

/** A ledger database of the rebuild (the target, or the live one it reads from). */
export function openDatabase(config: LedgerConfig, database: string, poolSize: number): DataSource {
  return createDataSource({
    serverUrl: config.DATABASE_URL,
    database,
    poolSize,
    entities: ledgerEntities,
    migrations: ledgerMigrations,
    applicationName: `paystream-ledger-rebuild`,
  });
}
