import { DynamicModule, Module } from '@nestjs/common';
import { KafkaHealth } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { riskMigrations } from './migrations';

@Module({})
export class RiskAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: RiskAppModule,
      imports: [platform, PersistenceModule.forRoot({ entities: [], migrations: riskMigrations })],
      providers: [KafkaHealth],
    };
  }
}
