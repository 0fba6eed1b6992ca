import { DataSource, EntitySchema, MixedList } from 'typeorm';
import { databaseUrl } from './database';

export interface DataSourceOptions {
  serverUrl: string;
  database: string;
  poolSize: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  applicationName: string;
}

/** TypeORM on pg; schemas change only through migrations (never `synchronize`). */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl(options.serverUrl, options.database),
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    applicationName: options.applicationName,
    // BIGINT and NUMERIC come back as strings; money is parsed to bigint by the code that reads it.
    parseInt8: false,
    extra: {
      max: options.poolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      // A statement stuck on a lock surfaces as an error the caller retries, instead of hanging.
      statement_timeout: 30000,
    },
  });
}

// One key for every Paystream service: migrations of different databases never contend in
// practice, and a single key is easy to spot in pg_locks.
const MIGRATION_LOCK = 7_245_001;

/**
 * Runs pending migrations while holding a session advisory lock, so several instances that start
 * at once apply each migration exactly once; the others wait and then find nothing to do.
 */
export async function migrateUnderLock(dataSource: DataSource): Promise<string[]> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.release();
  }
}
