import { UnbalancedEntryError, assertBalanced, journalEntryIdFor, sumsByCurrency, transferEntry } from './journal';

describe('journal', () => {
  it('derives the same entry id from the same payment id, and different ids for different payments', () => {
    expect(journalEntryIdFor('p-1')).toBe(journalEntryIdFor('p-1'));
    expect(journalEntryIdFor('p-1')).not.toBe(journalEntryIdFor('p-2'));
    expect(journalEntryIdFor('p-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sums postings per currency', () => {
    const sums = sumsByCurrency([
      { accountId: 'a', amount: -5n, currency: 'EUR' },
      { accountId: 'b', amount: 5n, currency: 'EUR' },
      { accountId: 'c', amount: -7n, currency: 'JPY' },
      { accountId: 'd', amount: 3n, currency: 'JPY' },
    ]);
    expect([...sums]).toEqual([
      ['EUR', 0n],
      ['JPY', -4n],
    ]);
  });

  it('refuses postings that do not sum to zero in every currency', () => {
    expect(() =>
      assertBalanced([
        { accountId: 'a', amount: -5n, currency: 'EUR' },
        { accountId: 'b', amount: 5n, currency: 'USD' },
      ]),
    ).toThrow(UnbalancedEntryError);
    expect(() => assertBalanced([{ accountId: 'a', amount: 0n, currency: 'EUR' }])).toThrow(UnbalancedEntryError);
  });

  it('builds a transfer whose postings sum to zero', () => {
    const entry = transferEntry('p-9', 'a', 'b', 100n, 'JPY', new Date(0));
    expect(sumsByCurrency(entry.postings).get('JPY')).toBe(0n);
    expect(entry.postings.map((p) => p.amount)).toEqual([-100n, 100n]);
  });
});
