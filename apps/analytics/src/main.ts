import 'reflect-metadata';
import { exactlyOnceConsumer } from '@paystream/messaging';
import { APP_CONFIG, main } from '@paystream/platform';
import { AnalyticsAppModule } from './app.module';
import { AnalyticsConfig, analyticsConfigShape } from './config';

main<AnalyticsConfig>({
  service: 'analytics',
  defaultPort: 3005,
  configShape: analyticsConfigShape,
  module: (config, platform) => AnalyticsAppModule.register(config, platform),
  // Consumer group `analytics`: per-minute aggregates, exactly once.
  microservices: (app) => {
    const config = app.get<AnalyticsConfig>(APP_CONFIG);
    return [
      exactlyOnceConsumer(app, {
        group: config.ANALYTICS_CONSUMER_GROUP,
        topics: [config.ANALYTICS_TOPIC],
        maxBatchSize: config.ANALYTICS_BATCH_SIZE,
      }),
    ];
  },
});
