import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of every delivery (DESIGN.md §7). */
export const SIGNATURE_HEADER = 'Paystream-Signature';
export const EVENT_ID_HEADER = 'Paystream-Event-Id';

/** Hex HMAC-SHA256 of `"<t>.<body>"` keyed with the secret's UTF-8 bytes. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * `t=<unix seconds>,v1=<hex>[,v1=<hex>]`: one v1 entry per secret that currently signs, so that
 * during a rotation receivers holding either the old or the new secret accept the delivery.
 */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  if (secrets.length === 0) throw new Error('at least one secret must sign');
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signatureOf(s, timestamp, body)}`)].join(',');
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: 'MALFORMED' | 'STALE' | 'MISMATCH' };

/**
 * What a receiver does (README: verifying deliveries): parse the header, refuse a timestamp
 * outside the tolerance window (replays), and compare each v1 signature in constant time.
 */
export function verifySignature(
  header: string,
  secret: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): VerifyResult {
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return { ok: false, reason: 'MALFORMED' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'STALE' };
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  const match = candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
  return match ? { ok: true, timestamp } : { ok: false, reason: 'MISMATCH' };
}
