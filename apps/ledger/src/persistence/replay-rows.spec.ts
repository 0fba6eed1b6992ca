import { PermanentError } from '@paystream/messaging';
import { ReplayRows, integerArray, textArray } from './replay-rows';

describe('replay rows', () => {
  it.each<[(string | null)[], string]>([
    [[], '{}'],
    [['a'], '{"a"}'],
    [['a,b', 'c"d', 'e\\f', 'NULL', ' x ', '{}', ''], '{"a,b","c\\"d","e\\\\f","NULL"," x ","{}",""}'],
    [[null, 'x', null], '{NULL,"x",NULL}'],
    [['ä€', '\n'], '{"ä€","\n"}'],
  ])('spells the text array %j as PostgreSQL reads it (as node-postgres would)', (values, literal) => {
    expect(textArray(values)).toBe(literal);
  });

  it('refuses a text value with a NUL character instead of shifting the column', () => {
    expect(() => textArray(['a', 'b\0c'])).toThrow(PermanentError);
  });

  it('spells integers and bigint minor units as an array literal', () => {
    expect(integerArray([1, -2, '12345678901234567'])).toBe('{1,-2,12345678901234567}');
    expect(integerArray([])).toBe('{}');
  });

  it('keeps the first entry of a payment and numbers postings by their entry', () => {
    const rows = new ReplayRows();
    const postings = [
      { accountId: 'a', amount: -5n, currency: 'EUR' },
      { accountId: 'b', amount: 5n, currency: 'EUR' },
    ];
    rows.addEntry('e1', 'p1', 1000, postings);
    rows.addEntry('e2', 'p1', 2000, postings);
    rows.addEntry('e3', 'p2', 3000, postings.slice(0, 1));
    expect(rows.entryIds).toEqual(['e1', 'e3']);
    expect(rows.entryMillis).toEqual([1000, 3000]);
    expect(rows.postingEntry).toEqual([1, 1, 2]);
    expect(rows.postingSeq).toEqual([0, 1, 0]);
    expect(rows.postingAmount).toEqual(['-5', '5', '-5']);
    expect(rows.empty).toBe(false);
    expect(new ReplayRows().empty).toBe(true);
  });

  it('keeps the first outcome and refusal of a payment within a chunk', () => {
    const rows = new ReplayRows();
    rows.addOutcome('p1', 'SETTLED', null, 'e1', 1000);
    rows.addOutcome('p1', 'FAILED', 'INSUFFICIENT_FUNDS', 'e2', 2000);
    const refusal = { paymentId: 'p2', debtorAccountId: 'a', creditorAccountId: 'b', amount: 1n, currency: 'EUR' };
    rows.addRefusal({ ...refusal, reason: 'INSUFFICIENT_FUNDS' }, 1000);
    rows.addRefusal({ ...refusal, reason: 'ACCOUNT_NOT_FOUND' }, 2000);
    expect(rows.outcomeStatus).toEqual(['SETTLED']);
    expect(rows.outcomeEvent).toEqual(['e1']);
    expect(rows.refusalReason).toEqual(['INSUFFICIENT_FUNDS']);
  });
});
