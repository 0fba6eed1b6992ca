import { DynamicModule, Module } from '@nestjs/common';
import { KafkaHealth } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { analyticsMigrations } from './migrations';

@Module({})
export class AnalyticsAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: AnalyticsAppModule,
      imports: [platform, PersistenceModule.forRoot({ entities: [], migrations: analyticsMigrations })],
      providers: [KafkaHealth],
    };
  }
}
