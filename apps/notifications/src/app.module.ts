import { DynamicModule, Module } from '@nestjs/common';
import { KafkaHealth } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { DeliveryRepository } from './deliveries/delivery.repository';
import { WebhookDispatcher } from './deliveries/webhook-dispatcher';
import { notificationsMigrations } from './migrations';
import { WebhookRepository } from './webhooks/webhook.repository';
import { WebhooksController } from './webhooks/webhooks.controller';

@Module({})
export class NotificationsAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: NotificationsAppModule,
      imports: [platform, PersistenceModule.forRoot({ entities: [], migrations: notificationsMigrations })],
      controllers: [WebhooksController, DeliveriesController],
      providers: [KafkaHealth, WebhookRepository, DeliveryRepository, WebhookDispatcher],
    };
  }
}
