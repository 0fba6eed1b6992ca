import 'reflect-metadata';
import { exactlyOnceConsumer } from '@paystream/messaging';
import { APP_CONFIG, main } from '@paystream/platform';
import { RiskAppModule } from './app.module';
import { RiskConfig, riskConfigShape } from './config';

main<RiskConfig>({
  service: 'risk',
  defaultPort: 3003,
  configShape: riskConfigShape,
  module: (config, platform) => RiskAppModule.register(config, platform),
  microservices: (app) => {
    const config = app.get<RiskConfig>(APP_CONFIG);
    return [
      exactlyOnceConsumer(app, {
        group: config.RISK_CONSUMER_GROUP,
        topics: [config.RISK_INPUT_TOPIC],
        mode: config.RISK_CONSUMER_MODE,
        // Risk decides on initiation only: the other lifecycle records pass undecoded, with no
        // dedupe row (libs/messaging README, acceptTypes).
        acceptTypes: ['payment.initiated'],
        maxBatchSize: config.RISK_MAX_BATCH_SIZE,
        partitionsConsumedConcurrently: config.RISK_PARTITIONS_CONCURRENTLY,
      }),
    ];
  },
});
