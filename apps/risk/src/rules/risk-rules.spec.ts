import { defaultRiskRules, limitInMinor, riskRulesSchema } from './risk-rules';

describe('riskRulesSchema', () => {
  const valid = defaultRiskRules({ amountLimit: '10000.00' });

  it('accepts the default rules', () => {
    expect(riskRulesSchema.parse(valid)).toEqual(valid);
  });

  it('refuses unknown fields, bad amounts and unknown currencies, naming the field', () => {
    const result = riskRulesSchema.safeParse({
      ...valid,
      extra: true,
      amountLimit: { default: '10,000', perCurrency: { XXX: '1' } },
      velocity: { windowSeconds: 0, maxCount: 20, maxAmount: '1e5' },
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.') || i.code).sort();
    expect(paths).toEqual(
      [
        'amountLimit.default',
        'amountLimit.perCurrency.XXX',
        'unrecognized_keys',
        'velocity.maxAmount',
        'velocity.windowSeconds',
      ].sort(),
    );
  });

  it('refuses a blocked account listed twice', () => {
    expect(riskRulesSchema.safeParse({ ...valid, blockedAccounts: ['a', 'a'] }).success).toBe(false);
  });
});

describe(limitInMinor.name, () => {
  it('reads a limit in the currency exponent, cutting decimals the currency does not have', () => {
    expect(limitInMinor('10000.00', 'EUR')).toBe(1_000_000n);
    expect(limitInMinor('10000.00', 'JPY')).toBe(10_000n);
    expect(limitInMinor('10000.99', 'JPY')).toBe(10_000n);
    expect(limitInMinor('1.5', 'BHD')).toBe(1_500n);
  });
});
