import 'reflect-metadata';
import { main } from '@paystream/platform';
import { AnalyticsAppModule } from './app.module';
import { AnalyticsConfig, analyticsConfigShape } from './config';

main<AnalyticsConfig>({
  service: 'analytics',
  defaultPort: 3005,
  configShape: analyticsConfigShape,
  module: (_config, platform) => AnalyticsAppModule.register(platform),
});
