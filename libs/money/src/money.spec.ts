import { Money, MoneyError, fromMinor, toMinor } from './money';

describe('toMinor', () => {
  it.each([
    ['125.50', 'EUR', 12550n],
    ['125.5', 'EUR', 12550n],
    ['0.01', 'USD', 1n],
    ['1000', 'JPY', 1000n],
    ['1.234', 'KWD', 1234n],
    ['-3.10', 'GBP', -310n],
  ])('reads %s %s as %s minor units', (amount, currency, minor) => {
    expect(toMinor(amount, currency)).toBe(minor);
  });

  it.each([
    ['1.5', 'JPY', 'TOO_MANY_DECIMALS'],
    ['1.005', 'EUR', 'TOO_MANY_DECIMALS'],
    ['1e3', 'EUR', 'MALFORMED_AMOUNT'],
    ['+1', 'EUR', 'MALFORMED_AMOUNT'],
    ['01.00', 'EUR', 'MALFORMED_AMOUNT'],
    [' 1', 'EUR', 'MALFORMED_AMOUNT'],
    ['1.', 'EUR', 'MALFORMED_AMOUNT'],
    ['1', 'XYZ', 'UNKNOWN_CURRENCY'],
    ['99999999999999.99', 'EUR', 'AMOUNT_OUT_OF_RANGE'],
  ])('refuses %s %s with %s', (amount, currency, code) => {
    expect(() => toMinor(amount, currency)).toThrow(expect.objectContaining({ code }) as MoneyError);
  });
});

describe('fromMinor', () => {
  it('formats with the currency exponent', () => {
    expect(fromMinor(12550n, 'EUR')).toBe('125.50');
    expect(fromMinor(5n, 'EUR')).toBe('0.05');
    expect(fromMinor(-5n, 'EUR')).toBe('-0.05');
    expect(fromMinor(1000n, 'JPY')).toBe('1000');
    expect(fromMinor(1n, 'BHD')).toBe('0.001');
  });
});

describe(Money.name, () => {
  it('adds and subtracts exactly, without floating point', () => {
    const sum = Money.of('0.10', 'EUR').plus(Money.of('0.20', 'EUR'));
    expect(sum.toString()).toBe('0.30');
    expect(sum.minus(Money.of('0.30', 'EUR')).minor).toBe(0n);
  });

  it('refuses to mix currencies', () => {
    expect(() => Money.of('1', 'EUR').plus(Money.of('1', 'USD'))).toThrow(/cannot combine EUR with USD/);
  });
});
