import { validateSubmitPayment } from './submit-payment.schema';

const valid = { debtorAccountId: 'acc-alice', creditorAccountId: 'acc-bob', amount: '125.50', currency: 'EUR' };
const MAX = '1000000';

describe(validateSubmitPayment.name, () => {
  it('accepts a valid body and converts the amount to minor units', () => {
    expect(validateSubmitPayment({ ...valid, reference: 'Invoice 1', metadata: { a: { b: 1 } } }, MAX)).toEqual({
      ok: true,
      payment: {
        debtorAccountId: 'acc-alice',
        creditorAccountId: 'acc-bob',
        amountMinor: 12550n,
        currency: 'EUR',
        reference: 'Invoice 1',
        metadata: { a: { b: 1 } },
      },
    });
  });

  it.each([
    ['JPY without decimals', { amount: '1000', currency: 'JPY' }, 1000n],
    ['BHD with three decimals', { amount: '1.005', currency: 'BHD' }, 1005n],
    ['EUR with one decimal', { amount: '0.5' }, 50n],
    ['the maximum exactly', { amount: '1000000.00' }, 100000000n],
  ])('accepts %s', (_name, patch, minor) => {
    const result = validateSubmitPayment({ ...valid, ...patch }, MAX);
    expect(result.ok && result.payment.amountMinor).toBe(minor);
  });

  const m21 = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i]));
  it.each<[string, Record<string, unknown>, string]>([
    ['too many decimals for EUR', { amount: '1.005' }, 'amount'],
    ['decimals for JPY', { amount: '1.5', currency: 'JPY' }, 'amount'],
    ['a number instead of a string', { amount: 125.5 }, 'amount'],
    ['an exponent', { amount: '1e3' }, 'amount'],
    ['zero', { amount: '0.00' }, 'amount'],
    ['a negative amount', { amount: '-1.00' }, 'amount'],
    ['leading plus', { amount: '+1.00' }, 'amount'],
    ['above the maximum', { amount: '1000000.01' }, 'amount'],
    ['an unknown currency', { currency: 'XYZ' }, 'currency'],
    ['a lower-case currency', { currency: 'eur' }, 'currency'],
    ['debtor equal to creditor', { creditorAccountId: 'acc-alice' }, 'creditorAccountId'],
    ['an account id with spaces', { debtorAccountId: 'acc alice' }, 'debtorAccountId'],
    ['an account id too long', { debtorAccountId: 'a'.repeat(65) }, 'debtorAccountId'],
    ['a missing creditor', { creditorAccountId: undefined }, 'creditorAccountId'],
    ['an empty reference', { reference: '' }, 'reference'],
    ['a reference over 140 characters', { reference: 'r'.repeat(141) }, 'reference'],
    ['an unknown field', { fee: '1.00' }, 'fee'],
    ['a reference with a NUL character', { reference: 'a\u0000b' }, 'reference'],
    ['metadata with a NUL character', { metadata: { a: 'x\u0000' } }, 'metadata'],
    ['metadata that is an array', { metadata: [1] }, 'metadata'],
    ['metadata with 21 keys', { metadata: m21 }, 'metadata'],
    ['metadata nested three levels', { metadata: { a: { b: { c: 1 } } } }, 'metadata'],
    ['metadata over 2 KiB', { metadata: { a: 'x'.repeat(2100) } }, 'metadata'],
    ['a metadata key over 40 characters', { metadata: { ['k'.repeat(41)]: 1 } }, `metadata.${'k'.repeat(41)}`],
  ])('rejects %s naming the field', (_name, patch, field) => {
    const result = validateSubmitPayment({ ...valid, ...patch }, MAX);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.field)).toContain(field);
  });

  it('names every unknown field and every bad field at once', () => {
    const result = validateSubmitPayment({ ...valid, amount: 'x', fee: 1, extra: true }, MAX);
    expect(!result.ok && result.errors.map((e) => e.field).sort()).toEqual(['extra', 'fee']);
  });

  it.each([null, [], 'text', 42])('rejects a body that is not an object: %p', (body) => {
    expect(validateSubmitPayment(body, MAX)).toEqual({
      ok: false,
      errors: [{ field: '(body)', message: 'must be a JSON object' }],
    });
  });
});
