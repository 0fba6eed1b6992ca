import 'reflect-metadata';
import { exactlyOnceConsumer } from '@paystream/messaging';
import { APP_CONFIG, main } from '@paystream/platform';
import { NotificationsAppModule } from './app.module';
import { NotificationsConfig, notificationsConfigShape } from './config';

main<NotificationsConfig>({
  service: 'notifications',
  defaultPort: 3004,
  configShape: notificationsConfigShape,
  module: (config, platform) => NotificationsAppModule.register(config, platform),
  // Consumer group `notifications`: delivery rows, exactly once per (event, webhook).
  microservices: (app) => {
    const config = app.get<NotificationsConfig>(APP_CONFIG);
    return [
      exactlyOnceConsumer(app, {
        group: config.NOTIFICATIONS_CONSUMER_GROUP,
        topics: [config.NOTIFICATIONS_TOPIC],
        maxBatchSize: config.NOTIFICATIONS_BATCH_SIZE,
      }),
    ];
  },
});
