import { messagingMigrations } from '@paystream/messaging';
import { AuditTrail1764091000000 } from './1764091000000-audit-trail';

/** Every migration of the audit database, in order: the messaging runtime's tables, then the trail. */
export const auditMigrations = [...messagingMigrations, AuditTrail1764091000000];
