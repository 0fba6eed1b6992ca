import { canonicalJson } from '../payment/canonical-json';
import { differingFields, requestFingerprint } from './request-fingerprint';

describe(requestFingerprint.name, () => {
  it('is the SHA-256 of the canonical JSON: key order and nesting order do not matter', () => {
    const a = { amount: '1.00', currency: 'EUR', metadata: { x: 1, y: [1, 2] } };
    const b = { metadata: { y: [1, 2], x: 1 }, currency: 'EUR', amount: '1.00' };
    expect(canonicalJson(b)).toBe('{"amount":"1.00","currency":"EUR","metadata":{"x":1,"y":[1,2]}}');
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
    expect(requestFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when a value, array order or presence of a null field differs', () => {
    const base = requestFingerprint({ amount: '1.00', tags: [1, 2] });
    expect(requestFingerprint({ amount: '1.0', tags: [1, 2] })).not.toBe(base);
    expect(requestFingerprint({ amount: '1.00', tags: [2, 1] })).not.toBe(base);
    expect(requestFingerprint({ amount: '1.00', tags: [1, 2], reference: null })).not.toBe(base);
  });
});

describe(differingFields.name, () => {
  it('names the differing top-level and metadata fields as dotted paths', () => {
    expect(
      differingFields(
        { amount: '1.00', currency: 'EUR', metadata: { a: 1, b: 2 } },
        { amount: '2.00', currency: 'EUR', metadata: { a: 1, b: 3, c: 4 }, reference: 'r' },
      ),
    ).toEqual(['amount', 'metadata.b', 'metadata.c', 'reference']);
  });

  it('finds no difference between bodies with the same fingerprint', () => {
    expect(differingFields({ a: 1, b: { c: [1] } }, { b: { c: [1] }, a: 1 })).toEqual([]);
  });
});
