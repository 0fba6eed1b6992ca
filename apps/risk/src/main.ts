import 'reflect-metadata';
import { main } from '@paystream/platform';
import { RiskAppModule } from './app.module';
import { RiskConfig, riskConfigShape } from './config';

main<RiskConfig>({
  service: 'risk',
  defaultPort: 3003,
  configShape: riskConfigShape,
  module: (config, platform) => RiskAppModule.register(config, platform),
});
