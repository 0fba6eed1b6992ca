import { MoneyError, toMinor } from '@paystream/money';
import { z } from 'zod';
import type { NewPayment } from '../payment/payment';

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const REFERENCE_MAX_LENGTH = 140;
export const METADATA_LIMITS = { keys: 20, depth: 2, bytes: 2048, keyLength: 40 } as const;

// eslint-disable-next-line no-control-regex
const NO_NUL = /^[^\u0000]*$/;

export interface FieldError {
  field: string;
  message: string;
}

export type ValidationResult = { ok: true; payment: NewPayment } | { ok: false; errors: FieldError[] };

const accountId = z
  .string()
  .regex(ACCOUNT_ID_PATTERN, 'must be 1-64 characters: letters, digits, ".", "_", ":" or "-", starting alphanumeric');

/** Depth of a JSON value: a scalar is 0, an object or array one more than its deepest member. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const members = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  return 1 + members.reduce<number>((max, v) => Math.max(max, depthOf(v)), 0);
}

/** Whether a NUL character appears in any string or member name of a JSON value. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(containsNul);
  return Object.entries(value as Record<string, unknown>).some(([k, v]) => k.includes('\u0000') || containsNul(v));
}

const metadata = z.record(z.unknown()).superRefine((value, ctx) => {
  const keys = Object.keys(value);
  if (keys.length > METADATA_LIMITS.keys) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must have at most ${METADATA_LIMITS.keys} keys` });
  }
  const longKey = keys.find((k) => k.length === 0 || k.length > METADATA_LIMITS.keyLength);
  if (longKey !== undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `keys must be 1-${METADATA_LIMITS.keyLength} characters`,
      path: [longKey],
    });
  }
  if (depthOf(value) > METADATA_LIMITS.depth) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be nested at most ${METADATA_LIMITS.depth} levels` });
  }
  const text = JSON.stringify(value);
  if (containsNul(value)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not contain NUL characters' });
  }
  if (Buffer.byteLength(text) > METADATA_LIMITS.bytes) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be at most ${METADATA_LIMITS.bytes} bytes as JSON` });
  }
});

/** The JSON body of POST /v1/payments (DESIGN.md §7); unknown fields are rejected by name. */
export const submitPaymentBody = z
  .object({
    debtorAccountId: accountId,
    creditorAccountId: accountId,
    amount: z.string({ invalid_type_error: 'must be a decimal string like "125.50"' }),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an upper-case ISO 4217 code like "EUR"'),
    // PostgreSQL text and jsonb cannot hold NUL: refused here as a 400 rather than failing in the database.
    reference: z.string().min(1).max(REFERENCE_MAX_LENGTH).regex(NO_NUL, 'must not contain NUL characters').nullish(),
    metadata: metadata.nullish(),
  })
  .strict();

export type SubmitPaymentBody = z.infer<typeof submitPaymentBody>;

function fieldOf(path: (string | number)[]): string {
  return path.length ? path.join('.') : '(body)';
}

/**
 * Validates a parsed body into a new payment (amount in minor units), or every problem found,
 * each naming its field. `maxAmount` is in major units (a whole number).
 */
export function validateSubmitPayment(body: unknown, maxAmount: string): ValidationResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  }
  const parsed = submitPaymentBody.safeParse(body);
  if (!parsed.success) {
    const errors: FieldError[] = [];
    for (const issue of parsed.error.issues) {
      if (issue.code === z.ZodIssueCode.unrecognized_keys) {
        for (const key of issue.keys) errors.push({ field: fieldOf([...issue.path, key]), message: 'is not allowed' });
      } else {
        errors.push({ field: fieldOf(issue.path), message: issue.message });
      }
    }
    return { ok: false, errors };
  }
  const input = parsed.data;
  const errors: FieldError[] = [];
  let amountMinor = 0n;
  try {
    amountMinor = toMinor(input.amount, input.currency);
    if (amountMinor <= 0n) errors.push({ field: 'amount', message: 'must be positive' });
    else if (amountMinor > toMinor(maxAmount, input.currency)) {
      errors.push({ field: 'amount', message: `must be at most ${maxAmount} ${input.currency}` });
    }
  } catch (err) {
    if (!(err instanceof MoneyError)) throw err;
    errors.push({ field: err.code === 'UNKNOWN_CURRENCY' ? 'currency' : 'amount', message: err.message });
  }
  if (input.debtorAccountId === input.creditorAccountId) {
    errors.push({ field: 'creditorAccountId', message: 'must differ from debtorAccountId' });
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    payment: {
      debtorAccountId: input.debtorAccountId,
      creditorAccountId: input.creditorAccountId,
      amountMinor,
      currency: input.currency,
      reference: input.reference ?? null,
      metadata: input.metadata ?? null,
    },
  };
}
