import { currencyExponent } from './currencies';

/** Why an amount was refused; stable codes, no HTTP. */
export type MoneyErrorCode = 'UNKNOWN_CURRENCY' | 'MALFORMED_AMOUNT' | 'TOO_MANY_DECIMALS' | 'AMOUNT_OUT_OF_RANGE';

export class MoneyError extends Error {
  constructor(
    readonly code: MoneyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MoneyError';
  }
}

// A decimal string: optional minus, no leading zeros except "0", optional fraction; no exponent,
// no plus sign, no spaces. The API further requires positive amounts.
const DECIMAL = /^-?(0|[1-9]\d{0,17})(\.\d+)?$/;

/** Largest minor-unit magnitude the platform holds: fits BIGINT with room for sums. */
export const MAX_MINOR = 10n ** 15n;

function exponentOf(currency: string): number {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new MoneyError('UNKNOWN_CURRENCY', `${currency} is not an ISO 4217 currency code`);
  return exponent;
}

/** "125.50" EUR → 12550n. Refuses more decimals than the currency has, and floats in any form. */
export function toMinor(amount: string, currency: string): bigint {
  const exponent = exponentOf(currency);
  const m = DECIMAL.exec(amount);
  if (!m) throw new MoneyError('MALFORMED_AMOUNT', `"${amount}" is not a decimal amount like "125.50"`);
  const fraction = (m[2] ?? '').slice(1);
  if (fraction.length > exponent) {
    throw new MoneyError(
      'TOO_MANY_DECIMALS',
      `${currency} has ${exponent} decimal${exponent === 1 ? '' : 's'}; "${amount}" has ${fraction.length}`,
    );
  }
  const negative = amount.startsWith('-');
  const digits = m[1] + fraction.padEnd(exponent, '0');
  const minor = BigInt(digits);
  if (minor > MAX_MINOR) throw new MoneyError('AMOUNT_OUT_OF_RANGE', `"${amount}" is beyond the supported range`);
  return negative ? -minor : minor;
}

/** 12550n EUR → "125.50"; -5n JPY → "-5". */
export function fromMinor(minor: bigint, currency: string): string {
  const exponent = exponentOf(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const text = exponent === 0 ? whole : `${whole}.${digits.slice(-exponent)}`;
  return negative ? `-${text}` : text;
}

/** An amount with its currency; arithmetic only between the same currency. */
export class Money {
  private constructor(
    readonly minor: bigint,
    readonly currency: string,
  ) {}

  static of(amount: string, currency: string): Money {
    return new Money(toMinor(amount, currency), currency);
  }

  static ofMinor(minor: bigint, currency: string): Money {
    exponentOf(currency);
    return new Money(minor, currency);
  }

  static zero(currency: string): Money {
    return Money.ofMinor(0n, currency);
  }

  plus(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.minor + other.minor, this.currency);
  }

  minus(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.minor - other.minor, this.currency);
  }

  negate(): Money {
    return new Money(-this.minor, this.currency);
  }

  isPositive(): boolean {
    return this.minor > 0n;
  }

  isNegative(): boolean {
    return this.minor < 0n;
  }

  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other);
    return this.minor < other.minor ? -1 : this.minor > other.minor ? 1 : 0;
  }

  equals(other: Money): boolean {
    return this.currency === other.currency && this.minor === other.minor;
  }

  toString(): string {
    return fromMinor(this.minor, this.currency);
  }

  toJSON(): { amount: string; currency: string } {
    return { amount: this.toString(), currency: this.currency };
  }

  private assertSameCurrency(other: Money): void {
    if (other.currency !== this.currency) {
      throw new MoneyError('UNKNOWN_CURRENCY', `cannot combine ${this.currency} with ${other.currency}`);
    }
  }
}
