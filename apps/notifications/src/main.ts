import 'reflect-metadata';
import { main } from '@paystream/platform';
import { NotificationsAppModule } from './app.module';
import { NotificationsConfig, notificationsConfigShape } from './config';

main<NotificationsConfig>({
  service: 'notifications',
  defaultPort: 3004,
  configShape: notificationsConfigShape,
  module: (_config, platform) => NotificationsAppModule.register(platform),
});
