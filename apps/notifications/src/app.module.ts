import { DynamicModule, Module } from '@nestjs/common';
import { KafkaHealth } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { notificationsMigrations } from './migrations';

@Module({})
export class NotificationsAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: NotificationsAppModule,
      imports: [platform, PersistenceModule.forRoot({ entities: [], migrations: notificationsMigrations })],
      providers: [KafkaHealth],
    };
  }
}
