import 'reflect-metadata';
import { main } from '@paystream/platform';
import { AuditAppModule } from './app.module';
import { AuditConfig, auditConfigShape } from './config';

main<AuditConfig>({
  service: 'audit',
  defaultPort: 3002,
  configShape: auditConfigShape,
  module: (config, platform) => AuditAppModule.register(config, platform),
});
