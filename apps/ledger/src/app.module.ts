import { DynamicModule, Module } from '@nestjs/common';
import { KafkaHealth } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { ledgerMigrations } from './migrations';

@Module({})
export class LedgerAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: LedgerAppModule,
      imports: [platform, PersistenceModule.forRoot({ entities: [], migrations: ledgerMigrations })],
      providers: [KafkaHealth],
    };
  }
}
