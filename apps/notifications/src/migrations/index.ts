import { messagingMigrations } from '@paystream/messaging';
import type { MigrationInterface } from 'typeorm';
import { NotificationsSchema1795609725714 } from './1795609725714-notifications-schema';

/** Every migration of the notifications database, in order. */
export const notificationsMigrations: Array<new () => MigrationInterface> = [
  ...messagingMigrations,
  NotificationsSchema1795609725714,
];
