import 'reflect-metadata';
import { exactlyOnceConsumer } from '@paystream/messaging';
import { APP_CONFIG, main } from '@paystream/platform';
import { LEDGER_DOMAIN_STATUS } from './accounts/account.errors';
import { LedgerAppModule } from './app.module';
import { LedgerConfig, ledgerConfigShape } from './config';

main<LedgerConfig>({
  service: 'ledger',
  defaultPort: 3001,
  configShape: ledgerConfigShape,
  domainStatus: LEDGER_DOMAIN_STATUS,
  module: (config, platform) => LedgerAppModule.register(config, platform),
  microservices: (app) => {
    const config = app.get<LedgerConfig>(APP_CONFIG);
    return [
      exactlyOnceConsumer(app, {
        group: config.LEDGER_CONSUMER_GROUP,
        topics: [config.LEDGER_PAYMENT_EVENTS_TOPIC],
        // What LiveLedgerApplier acts on; payment.initiated and payment.rejected pass undecoded,
        // with no dedupe row (libs/messaging README, acceptTypes).
        acceptTypes: ['payment.authorized', 'payment.settled', 'payment.failed'],
        maxBatchSize: config.LEDGER_BATCH_SIZE,
        partitionsConsumedConcurrently: config.LEDGER_PARTITIONS_CONCURRENTLY,
        sessionTimeoutMs: config.LEDGER_CONSUMER_SESSION_TIMEOUT_MS,
      }),
    ];
  },
});
