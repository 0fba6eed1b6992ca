import 'reflect-metadata';
import { exactlyOnceConsumer } from '@paystream/messaging';
import { APP_CONFIG, main } from '@paystream/platform';
import { AuditAppModule } from './app.module';
import { AuditConfig, auditConfigShape } from './config';

main<AuditConfig>({
  service: 'audit',
  defaultPort: 3002,
  configShape: auditConfigShape,
  module: (config, platform) => AuditAppModule.register(config, platform),
  microservices: (app) => {
    const config = app.get<AuditConfig>(APP_CONFIG);
    // 'database' mode: the trail is the only effect and nothing is emitted.
    return [
      exactlyOnceConsumer(app, { group: config.AUDIT_CONSUMER_GROUP, topics: config.AUDIT_TOPICS, mode: 'database' }),
    ];
  },
});
