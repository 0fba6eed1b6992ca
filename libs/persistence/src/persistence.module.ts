import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger } from '@paystream/observability';
import { APP_CONFIG, HealthRegistry, SharedConfig } from '@paystream/platform';
import { DataSource, EntitySchema, MixedList } from 'typeorm';
import { createDataSource, migrateUnderLock } from './data-source';
import { ensureDatabase } from './database';

export interface PersistenceOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    // Consumers and the relay stop first (they are destroyed before shutdown hooks run).
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * The service's own database: created if missing, migrated under an advisory lock before the
 * app serves anything, and checked by `/health/ready`.
 */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceOptions): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          inject: [APP_CONFIG, JsonLogger, HealthRegistry],
          useFactory: async (config: SharedConfig, logger: JsonLogger, health: HealthRegistry) => {
            const created = await ensureDatabase(config.DATABASE_URL, config.DATABASE_NAME);
            if (created) logger.event('log', 'database created', { database: config.DATABASE_NAME });
            const dataSource = createDataSource({
              serverUrl: config.DATABASE_URL,
              database: config.DATABASE_NAME,
              poolSize: config.DATABASE_POOL_SIZE,
              entities: options.entities,
              migrations: options.migrations,
              applicationName: `${config.KAFKA_CLIENT_ID}-${config.INSTANCE_ID}`,
            });
            await dataSource.initialize();
            const applied = await migrateUnderLock(dataSource);
            if (applied.length) logger.event('log', 'migrations applied', { migrations: applied });
            health.register('database', async () => {
              await dataSource.query('SELECT 1');
            });
            return dataSource;
          },
        },
        DataSourceCloser,
      ],
      exports: [DataSource],
    };
  }
}
