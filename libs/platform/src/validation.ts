import type { z } from 'zod';
import { ProblemException } from './problem';

/**
 * zod at the HTTP boundary: the parsed value, or a 400 problem naming each offending field.
 * Unknown fields (strict schemas) are named one by one, with their full path.
 */
export function parseOr400<S extends z.ZodTypeAny>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' = 'body',
): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data as z.output<S>;
  const unknown = where === 'query' ? 'is not a known parameter' : 'is not a known field';
  throw ProblemException.validation(
    parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: unknown }))
        : [{ field: issue.path.join('.') || `(${where})`, message: issue.message }],
    ),
  );
}
