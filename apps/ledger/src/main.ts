import 'reflect-metadata';
import { main } from '@paystream/platform';
import { LedgerAppModule } from './app.module';
import { LedgerConfig, ledgerConfigShape } from './config';

main<LedgerConfig>({
  service: 'ledger',
  defaultPort: 3001,
  configShape: ledgerConfigShape,
  module: (_config, platform) => LedgerAppModule.register(platform),
});
