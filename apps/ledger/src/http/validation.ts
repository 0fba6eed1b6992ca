import { ProblemException } from '@paystream/platform';
import type { z } from 'zod';

/** Parses a body or query with its zod schema, or answers 400 naming each offending field. */
export function parseOr400<S extends z.ZodTypeAny>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data as z.infer<S>;
  throw ProblemException.validation(
    parsed.error.issues.map((i) => ({
      field: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(',') : '(body)'),
      message: i.message,
    })),
  );
}
