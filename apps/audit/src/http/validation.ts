import { ProblemException } from '@paystream/platform';
import type { z } from 'zod';

/** zod at the HTTP boundary: a 400 problem naming each offending field. */
export function validate<S extends z.ZodTypeAny>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data as z.output<S>;
  throw ProblemException.validation(
    parsed.error.issues.map((issue) => ({
      field:
        issue.code === 'unrecognized_keys'
          ? [...issue.path, ...issue.keys].join('.')
          : issue.path.join('.') || '(query)',
      message: issue.code === 'unrecognized_keys' ? 'is not a known parameter' : issue.message,
    })),
  );
}
