import { generateSecret, matchesFilter, signingSecrets } from './webhook';

describe('webhook subscriptions', () => {
  it('matches the listed event types, or every type with "*"', () => {
    expect(matchesFilter(['payment.settled'], 'payment.settled')).toBe(true);
    expect(matchesFilter(['payment.settled'], 'payment.failed')).toBe(false);
    expect(matchesFilter(['*'], 'payment.failed')).toBe(true);
  });

  it('generates 32-byte random secrets', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateSecret()).not.toBe(a);
  });

  it('signs with the previous secret only until it expires', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const rotating = {
      secret: 'new',
      previousSecret: 'old',
      previousSecretExpiresAt: new Date('2026-11-26T12:00:00Z'),
    };
    expect(signingSecrets(rotating, now)).toEqual(['new', 'old']);
    expect(signingSecrets(rotating, new Date('2026-11-26T12:00:01Z'))).toEqual(['new']);
    expect(signingSecrets({ secret: 'only', previousSecret: null, previousSecretExpiresAt: null }, now)).toEqual([
      'only',
    ]);
  });
});
