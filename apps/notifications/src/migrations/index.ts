import { messagingMigrations } from '@paystream/messaging';
import type { MigrationInterface } from 'typeorm';
import { NotificationsSchema1795609725714 } from './1795609725714-notifications-schema';
import { DeliveryLeaseIndex1795612000000 } from './1795612000000-delivery-lease-index';

/** Every migration of the notifications database, in order. */
export const notificationsMigrations: Array<new () => MigrationInterface> = [
  ...messagingMigrations,
  NotificationsSchema1795609725714,
  DeliveryLeaseIndex1795612000000,
];
