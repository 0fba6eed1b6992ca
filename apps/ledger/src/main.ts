import 'reflect-metadata';
import { main } from '@paystream/platform';
import { LEDGER_DOMAIN_STATUS } from './accounts/account.errors';
import { LedgerAppModule } from './app.module';
import { LedgerConfig, ledgerConfigShape } from './config';

main<LedgerConfig>({
  service: 'ledger',
  defaultPort: 3001,
  configShape: ledgerConfigShape,
  domainStatus: LEDGER_DOMAIN_STATUS,
  module: (_config, platform) => LedgerAppModule.register(platform),
});
