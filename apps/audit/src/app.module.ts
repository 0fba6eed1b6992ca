import { DynamicModule, Module } from '@nestjs/common';
import { KafkaHealth } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { auditMigrations } from './migrations';

@Module({})
export class AuditAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: AuditAppModule,
      imports: [platform, PersistenceModule.forRoot({ entities: [], migrations: auditMigrations })],
      providers: [KafkaHealth],
    };
  }
}
