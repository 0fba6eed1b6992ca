import { DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import type { NotificationsConfig } from './config';
import { paymentEventsController } from './consume/payment-events.controller';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { DeliveryRepository } from './deliveries/delivery.repository';
import { WebhookDispatcher } from './deliveries/webhook-dispatcher';
import { notificationsMigrations } from './migrations';
import { WebhookRepository } from './webhooks/webhook.repository';
import { WebhooksController } from './webhooks/webhooks.controller';

@Module({})
export class NotificationsAppModule {
  static register(config: NotificationsConfig, platform: DynamicModule): DynamicModule {
    return {
      module: NotificationsAppModule,
      imports: [
        platform,
        PersistenceModule.forRoot({ entities: [], migrations: notificationsMigrations }),
        MessagingModule.forRoot(),
      ],
      controllers: [WebhooksController, DeliveriesController, paymentEventsController(config.NOTIFICATIONS_TOPIC)],
      providers: [WebhookRepository, DeliveryRepository, WebhookDispatcher],
    };
  }
}
