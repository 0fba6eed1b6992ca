import type { SharedConfig } from '@paystream/platform';

/** Audit service variables on top of the shared ones (README: Configuration). */
export const auditConfigShape = {};

export type AuditConfig = SharedConfig;
