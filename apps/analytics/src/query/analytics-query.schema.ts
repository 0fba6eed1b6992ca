import { isCurrency } from '@paystream/money';
import { z } from 'zod';

export const MAX_SUMMARY_WINDOW_MS = 366 * 86_400_000;
export const MAX_TIMESERIES_MINUTES = 7 * 1440;
const DEFAULT_WINDOW_MS = 86_400_000;

const instant = z
  .string()
  .refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 date-time')
  .transform((v) => new Date(v));

const query = z
  .object({
    currency: z.string().refine(isCurrency, 'must be an ISO 4217 currency code like "EUR"'),
    from: instant.optional(),
    to: instant.optional(),
    top: z
      .string()
      .regex(/^\d{1,3}$/, 'must be a whole number from 0 to 100')
      .transform(Number)
      .pipe(z.number().max(100, 'must be a whole number from 0 to 100'))
      .optional(),
  })
  .strict();

export interface AnalyticsWindow {
  currency: string;
  /** Rounded down to its minute: minutes starting in [from, to) are counted. */
  from: Date;
  to: Date;
  top: number;
}

export function parseWindow(
  raw: unknown,
  maxMs: number,
  now = new Date(),
): { ok: true; value: AnalyticsWindow } | { ok: false; errors: { field: string; message: string }[] } {
  const parsed = query.safeParse(raw ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => ({
        field: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(',') : '(query)'),
        message: i.message,
      })),
    };
  }
  const to = parsed.data.to ?? now;
  const fromRaw = parsed.data.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS);
  const from = new Date(fromRaw.getTime() - (fromRaw.getTime() % 60_000));
  if (from >= to) return { ok: false, errors: [{ field: 'from', message: 'must be before to' }] };
  if (to.getTime() - from.getTime() > maxMs) {
    return { ok: false, errors: [{ field: 'to', message: `the window must be at most ${maxMs / 60_000} minutes` }] };
  }
  return { ok: true, value: { currency: parsed.data.currency, from, to, top: parsed.data.top ?? 10 } };
}
