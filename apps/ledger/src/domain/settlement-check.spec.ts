import { checkSettlement } from './settlement-check';

const journal = {
  id: 'e-1',
  postings: [
    { accountId: 'a', amount: -5n, currency: 'EUR' },
    { accountId: 'b', amount: 5n, currency: 'EUR' },
  ],
};

describe('checkSettlement', () => {
  it('accepts the same postings in any order', () => {
    expect(
      checkSettlement(journal, { journalEntryId: 'e-1', postings: [...journal.postings].reverse() }),
    ).toBeUndefined();
  });

  it('reports a settlement without a journal entry', () => {
    expect(checkSettlement(undefined, { journalEntryId: 'e-1', postings: journal.postings })?.reason).toBe('NO_ENTRY');
  });

  it('reports another entry id or other amounts', () => {
    expect(checkSettlement(journal, { journalEntryId: 'e-2', postings: journal.postings })?.reason).toBe(
      'ENTRY_ID_DIFFERS',
    );
    const tampered = [
      { accountId: 'a', amount: -6n, currency: 'EUR' },
      { accountId: 'b', amount: 6n, currency: 'EUR' },
    ];
    expect(checkSettlement(journal, { journalEntryId: 'e-1', postings: tampered })?.reason).toBe('POSTINGS_DIFFER');
  });
});
