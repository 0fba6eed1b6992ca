import { messagingMigrations } from '@paystream/messaging';
import type { MigrationInterface } from 'typeorm';
import { AnalyticsSchema1795610000000 } from './1795610000000-analytics-schema';

/** Every migration of the analytics database, in order. */
export const analyticsMigrations: Array<new () => MigrationInterface> = [
  ...messagingMigrations,
  AnalyticsSchema1795610000000,
];
