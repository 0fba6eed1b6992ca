/** Every migration of the audit database, in order. */
export const auditMigrations = [];
