import { randomBytes } from 'node:crypto';

/** Event types a webhook can subscribe to: those on payment-events, or "*" for all of them. */
export const SUBSCRIBABLE_EVENTS = [
  'payment.initiated',
  'payment.authorized',
  'payment.rejected',
  'payment.settled',
  'payment.failed',
] as const;
export const ALL_EVENTS = '*';

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
}

/** 32 random bytes, base64url: as much entropy as the HMAC-SHA256 key can use. */
export function generateSecret(): string {
  return 'whsec_' + randomBytes(32).toString('base64url');
}

export function matchesFilter(events: readonly string[], type: string): boolean {
  return events.includes(ALL_EVENTS) || events.includes(type);
}

/** The secrets that sign now: the current one, and the previous one until its grace period ends. */
export function signingSecrets(
  webhook: Pick<Webhook, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>,
  now: Date,
): string[] {
  const secrets = [webhook.secret];
  if (webhook.previousSecret && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > now) {
    secrets.push(webhook.previousSecret);
  }
  return secrets;
}
