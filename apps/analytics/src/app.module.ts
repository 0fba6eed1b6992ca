import { DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import type { AnalyticsConfig } from './config';
import { paymentEventsController } from './consume/payment-events.controller';
import { analyticsMigrations } from './migrations';
import { AnalyticsController } from './query/analytics.controller';
import { AnalyticsRepository } from './query/analytics.repository';

@Module({})
export class AnalyticsAppModule {
  static register(config: AnalyticsConfig, platform: DynamicModule): DynamicModule {
    return {
      module: AnalyticsAppModule,
      imports: [
        platform,
        PersistenceModule.forRoot({ entities: [], migrations: analyticsMigrations }),
        MessagingModule.forRoot(),
      ],
      controllers: [AnalyticsController, paymentEventsController(config.ANALYTICS_TOPIC)],
      providers: [AnalyticsRepository],
    };
  }
}
