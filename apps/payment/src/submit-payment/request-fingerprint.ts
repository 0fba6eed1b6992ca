import { createHash } from 'node:crypto';
import { canonicalJson } from '../payment/canonical-json';

/** SHA-256 (hex) of the canonical JSON of a request body: key order and whitespace do not matter. */
export function requestFingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * The fields in which two request bodies differ, as dotted paths (`amount`, `metadata.orderId`),
 * sorted. Objects are compared member by member; anything else (arrays included) as a whole.
 */
export function differingFields(first: unknown, second: unknown, prefix = ''): string[] {
  if (isObject(first) && isObject(second)) {
    const keys = [...new Set([...Object.keys(first), ...Object.keys(second)])].sort();
    return keys.flatMap((key) => differingFields(first[key], second[key], prefix ? `${prefix}.${key}` : key));
  }
  // A member present in one body and absent from the other differs, even when it is null.
  const same =
    first === undefined || second === undefined ? first === second : canonicalJson(first) === canonicalJson(second);
  return same ? [] : [prefix || '(body)'];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
