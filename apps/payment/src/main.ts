import 'reflect-metadata';
import { main } from '@paystream/platform';
import { PaymentAppModule } from './app.module';
import { PaymentConfig, paymentConfigShape } from './config';

main<PaymentConfig>({
  service: 'payment',
  defaultPort: 3000,
  configShape: paymentConfigShape,
  module: (_config, platform) => PaymentAppModule.register(platform),
});
