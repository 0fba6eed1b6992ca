import { exactlyOnceConsumer } from '@paystream/messaging';
import { APP_CONFIG, ServiceDefinition } from '@paystream/platform';
import { PaymentAppModule } from './app.module';
import { PaymentConfig, paymentConfigShape } from './config';

/** The payment service as runService starts it (main.ts, and the integration tests in-process). */
export const paymentService: ServiceDefinition<PaymentConfig> = {
  service: 'payment',
  defaultPort: 3000,
  configShape: paymentConfigShape,
  module: (config, platform) => PaymentAppModule.register(config, platform),
  bodyLimitBytes: 64 * 1024,
  // Consumer group `payment`: the saga steps (risk decisions, ledger results), exactly once.
  microservices: (app) => {
    const config = app.get<PaymentConfig>(APP_CONFIG);
    if (!config.PAYMENT_SAGA_ENABLED) return [];
    return [
      exactlyOnceConsumer(app, {
        group: config.PAYMENT_CONSUMER_GROUP,
        topics: [config.PAYMENT_RISK_DECISIONS_TOPIC, config.PAYMENT_LEDGER_RESULTS_TOPIC],
        fromBeginning: config.PAYMENT_CONSUMER_FROM_BEGINNING,
        partitionsConsumedConcurrently: config.PAYMENT_PARTITIONS_CONCURRENTLY,
      }),
    ];
  },
  configure: (app) => {
    // Fastify parses text/plain by default; this API takes JSON only, so any other type is a 415.
    app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  },
};
