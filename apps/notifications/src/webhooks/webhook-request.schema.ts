import { z } from 'zod';
import { ALL_EVENTS, SUBSCRIBABLE_EVENTS } from './webhook';

export interface FieldError {
  field: string;
  message: string;
}

const eventName = z.enum([ALL_EVENTS, ...SUBSCRIBABLE_EVENTS], {
  errorMap: () => ({ message: `must be "*" or one of ${SUBSCRIBABLE_EVENTS.join(', ')}` }),
});

// A caller-chosen secret must be long enough to be a real key; printable ASCII keeps it
// unambiguous as the UTF-8 HMAC key receivers configure.
const secret = z
  .string()
  .min(16, 'must be at least 16 characters')
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** POST /v1/webhooks; unknown fields are rejected by name. */
export const createWebhookBody = z
  .object({
    url: z.string().max(2048),
    events: z
      .array(eventName)
      .min(1)
      .max(SUBSCRIBABLE_EVENTS.length + 1),
    secret: secret.optional(),
  })
  .strict();

/** POST /v1/webhooks/{id}/rotate-secret (the body is optional). */
export const rotateSecretBody = z
  .object({
    secret: secret.optional(),
    /** How long the old secret keeps signing; the service's default when absent. */
    previousSecretTtlSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional(),
  })
  .strict();

export function parseBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; errors: FieldError[] } {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => ({
      field: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(',') : '(body)'),
      message: i.message,
    })),
  };
}
