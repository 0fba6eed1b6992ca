import { TOPICS } from '@paystream/contracts';
import type { SharedConfig } from '@paystream/platform';
import { z } from 'zod';

const topicList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'each must be a Kafka topic name')).min(1));

/** Audit service variables on top of the shared ones (README: Configuration). */
export const auditConfigShape = {
  AUDIT_CONSUMER_GROUP: z.string().min(1).default('audit'),
  /** Comma-separated; every contract topic by default. */
  AUDIT_TOPICS: topicList.default([TOPICS.paymentEvents, TOPICS.riskDecisions, TOPICS.ledgerResults].join(',')),
};

export interface AuditSettings {
  AUDIT_CONSUMER_GROUP: string;
  AUDIT_TOPICS: string[];
}

export type AuditConfig = SharedConfig & AuditSettings;
