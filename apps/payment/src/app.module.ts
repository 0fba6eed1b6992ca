import { DynamicModule, Module } from '@nestjs/common';
import { KafkaHealth } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { paymentMigrations } from './migrations';

@Module({})
export class PaymentAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: PaymentAppModule,
      imports: [platform, PersistenceModule.forRoot({ entities: [], migrations: paymentMigrations })],
      providers: [KafkaHealth],
    };
  }
}
