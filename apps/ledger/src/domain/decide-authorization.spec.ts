import type { Account } from './account';
import { AuthorizedPayment, ImpossiblePaymentError, applyEntry, decideAuthorization } from './decide-authorization';
import { journalEntryIdFor } from './journal';

const account = (id: string, balance: bigint, over: Partial<Account> = {}): Account => ({
  id,
  currency: 'EUR',
  allowOverdraft: false,
  name: null,
  balance,
  ...over,
});

const payment = (over: Partial<AuthorizedPayment> = {}): AuthorizedPayment => ({
  paymentId: 'pay-1',
  debtorAccountId: 'alice',
  creditorAccountId: 'bob',
  amount: 12_550n,
  currency: 'EUR',
  authorizedAt: new Date('2026-01-01T00:00:00Z'),
  ...over,
});

describe('decideAuthorization', () => {
  it('posts a transfer debiting the debtor and crediting the creditor with an id derived from the payment', () => {
    const decision = decideAuthorization(payment(), account('alice', 20_000n), account('bob', 0n));
    expect(decision).toEqual({
      kind: 'post',
      entry: {
        id: journalEntryIdFor('pay-1'),
        paymentId: 'pay-1',
        postedAt: new Date('2026-01-01T00:00:00Z'),
        postings: [
          { accountId: 'alice', amount: -12_550n, currency: 'EUR' },
          { accountId: 'bob', amount: 12_550n, currency: 'EUR' },
        ],
      },
    });
  });

  it('allows spending the exact balance but not one minor unit more', () => {
    expect(decideAuthorization(payment(), account('alice', 12_550n), account('bob', 0n)).kind).toBe('post');
    expect(decideAuthorization(payment(), account('alice', 12_549n), account('bob', 0n))).toEqual({
      kind: 'refuse',
      reason: 'INSUFFICIENT_FUNDS',
    });
  });

  it('lets an overdraft account go below zero', () => {
    const decision = decideAuthorization(payment(), account('alice', 0n, { allowOverdraft: true }), account('bob', 0n));
    expect(decision.kind).toBe('post');
  });

  it('refuses with ACCOUNT_NOT_FOUND when either account is missing', () => {
    expect(decideAuthorization(payment(), undefined, account('bob', 0n))).toEqual({
      kind: 'refuse',
      reason: 'ACCOUNT_NOT_FOUND',
    });
    expect(decideAuthorization(payment(), account('alice', 99_999n), undefined)).toEqual({
      kind: 'refuse',
      reason: 'ACCOUNT_NOT_FOUND',
    });
  });

  it('refuses with CURRENCY_MISMATCH when an account is in another currency than the payment', () => {
    const usd = { currency: 'USD' };
    expect(decideAuthorization(payment(), account('alice', 99_999n, usd), account('bob', 0n))).toEqual({
      kind: 'refuse',
      reason: 'CURRENCY_MISMATCH',
    });
    expect(decideAuthorization(payment(), account('alice', 99_999n), account('bob', 0n, usd))).toEqual({
      kind: 'refuse',
      reason: 'CURRENCY_MISMATCH',
    });
  });

  it('checks the currency before the funds', () => {
    const decision = decideAuthorization(payment(), account('alice', 0n, { currency: 'USD' }), account('bob', 0n));
    expect(decision).toEqual({ kind: 'refuse', reason: 'CURRENCY_MISMATCH' });
  });

  it('throws for payments no state could accept', () => {
    expect(() => decideAuthorization(payment({ amount: 0n }), account('alice', 1n), account('bob', 0n))).toThrow(
      ImpossiblePaymentError,
    );
    expect(() =>
      decideAuthorization(payment({ creditorAccountId: 'alice' }), account('alice', 1n), account('alice', 1n)),
    ).toThrow(ImpossiblePaymentError);
  });

  it('applying the entry moves the amount from debtor to creditor', () => {
    const alice = account('alice', 20_000n);
    const bob = account('bob', 5n);
    const decision = decideAuthorization(payment(), alice, bob);
    if (decision.kind !== 'post') throw new Error('expected a posting');
    applyEntry(decision.entry, new Map([alice, bob].map((a) => [a.id, a])));
    expect([alice.balance, bob.balance]).toEqual([7_450n, 12_555n]);
  });
});
