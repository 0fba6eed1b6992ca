import type { MigrationInterface } from 'typeorm';
import { MessagingTables1764072000000 } from './1764072000000-messaging-tables';
import { NarrowDedupeKey1795620000000 } from './1795620000000-narrow-dedupe-key';

/** The runtime's migrations, in order: apps spread them into their own migrations list. */
export const messagingMigrations: Array<new () => MigrationInterface> = [
  MessagingTables1764072000000,
  NarrowDedupeKey1795620000000,
];

/** The runtime uses raw SQL only: no entities to register. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const messagingEntities: Function[] = [];
