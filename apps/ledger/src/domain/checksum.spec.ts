import { createHash } from 'node:crypto';
import { ChecksumPosting, ledgerChecksum } from './checksum';

const postings: ChecksumPosting[] = [
  { entryId: '0b000000-0000-5000-8000-000000000000', accountId: 'B', amount: 10n, currency: 'EUR' },
  { entryId: '0b000000-0000-5000-8000-000000000000', accountId: 'A', amount: -10n, currency: 'EUR' },
  { entryId: '0a000000-0000-5000-8000-000000000000', accountId: 'b', amount: -3n, currency: 'JPY' },
  { entryId: '0a000000-0000-5000-8000-000000000000', accountId: 'Z', amount: 3n, currency: 'JPY' },
];

describe('ledgerChecksum', () => {
  it('is the SHA-256 of the canonical lines ordered by entry id then account id in byte order', () => {
    const expected = createHash('sha256')
      .update(
        [
          '0a000000-0000-5000-8000-000000000000|Z|JPY|3',
          '0a000000-0000-5000-8000-000000000000|b|JPY|-3',
          '0b000000-0000-5000-8000-000000000000|A|EUR|-10',
          '0b000000-0000-5000-8000-000000000000|B|EUR|10',
        ]
          .map((l) => l + '\n')
          .join(''),
      )
      .digest('hex');
    expect(ledgerChecksum(postings)).toBe(expected);
  });

  it('does not depend on insertion order', () => {
    const reversed = [...postings].reverse();
    const shuffled = [postings[2], postings[0], postings[3], postings[1]];
    expect(ledgerChecksum(reversed)).toBe(ledgerChecksum(postings));
    expect(ledgerChecksum(shuffled)).toBe(ledgerChecksum(postings));
  });

  it('changes when any amount changes', () => {
    const changed = postings.map((p, i) => (i === 0 ? { ...p, amount: 11n } : p));
    expect(ledgerChecksum(changed)).not.toBe(ledgerChecksum(postings));
  });

  it('of an empty ledger is the hash of nothing', () => {
    expect(ledgerChecksum([])).toBe(createHash('sha256').digest('hex'));
  });
});
