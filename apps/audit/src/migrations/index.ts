import { AuditTrail1764091000000 } from './1764091000000-audit-trail';

/** Every migration of the audit database, in order. */
export const auditMigrations = [AuditTrail1764091000000];
