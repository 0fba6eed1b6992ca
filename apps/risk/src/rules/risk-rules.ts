import { currencyExponent, toMinor } from '@paystream/money';
import { z } from 'zod';

/**
 * The risk rules as configuration (DESIGN.md §7: "Rules are configuration, not code"). Stored as
 * versioned JSON documents in the risk database and replaced as a whole through PUT /v1/risk/rules.
 *
 * Limits are decimal strings in major units ("10000.00"). A limit applies to every currency; it is
 * read in the payment's currency exponent (see limitInMinor), so "10000.00" is 1000000 EUR cents
 * and 10000 JPY.
 */
export interface RiskRules {
  /** A single payment above the limit is rejected: RISK_AMOUNT_LIMIT. */
  amountLimit: { default: string; perCurrency: Record<string, string> };
  /**
   * Per debtor account over the sliding window (windowSeconds back from the payment's
   * occurredAt): more than maxCount approved payments (this one included) → RISK_VELOCITY_COUNT;
   * more than maxAmount approved in the payment's currency (this one included) → RISK_VELOCITY_AMOUNT.
   */
  velocity: { windowSeconds: number; maxCount: number; maxAmount: string };
  /** Debtor accounts that may not pay at all: RISK_BLOCKED_ACCOUNT. */
  blockedAccounts: string[];
  /** While an account has fewer than firstPayments approved payments, the limit is lower: RISK_NEW_ACCOUNT_LIMIT. */
  newAccount: { firstPayments: number; limit: string };
}

const LIMIT = /^(0|[1-9]\d{0,14})(\.\d{1,4})?$/;
const limit = z.string().regex(LIMIT, 'must be a decimal amount like "10000.00"');
const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
  .refine((c) => currencyExponent(c) !== undefined, 'is not an ISO 4217 currency with minor units');

/** What PUT /v1/risk/rules accepts: the whole document; unknown fields are refused. */
export const riskRulesSchema = z
  .object({
    amountLimit: z.object({ default: limit, perCurrency: z.record(currencyCode, limit).default({}) }).strict(),
    velocity: z
      .object({
        windowSeconds: z
          .number()
          .int()
          .min(1)
          .max(31 * 24 * 3600),
        maxCount: z.number().int().min(1).max(1_000_000),
        maxAmount: limit,
      })
      .strict(),
    blockedAccounts: z
      .array(z.string().min(1).max(255))
      .max(100_000)
      .refine((a) => new Set(a).size === a.length, 'must not repeat an account'),
    newAccount: z.object({ firstPayments: z.number().int().min(0).max(1_000_000), limit }).strict(),
  })
  .strict();

export interface DefaultRuleSettings {
  /** RISK_AMOUNT_LIMIT: the single-payment limit of a fresh install. */
  amountLimit: string;
}

/** The rules of a fresh install (version 1). */
export function defaultRiskRules(settings: DefaultRuleSettings): RiskRules {
  return {
    amountLimit: { default: settings.amountLimit, perCurrency: {} },
    velocity: { windowSeconds: 600, maxCount: 20, maxAmount: '50000.00' },
    blockedAccounts: [],
    newAccount: { firstPayments: 3, limit: '1000.00' },
  };
}

/**
 * A major-unit limit in the minor units of `currency`. Decimals beyond the currency's exponent are
 * cut off (rounding a limit down never lets more through): "10000.50" JPY → 10000.
 */
export function limitInMinor(limitText: string, currency: string): bigint {
  const exponent = currencyExponent(currency) ?? 2;
  const [whole, fraction = ''] = limitText.split('.');
  const kept = fraction.slice(0, exponent);
  return toMinor(kept ? `${whole}.${kept}` : whole, currency);
}

export function amountLimitFor(rules: RiskRules, currency: string): string {
  return rules.amountLimit.perCurrency[currency] ?? rules.amountLimit.default;
}
