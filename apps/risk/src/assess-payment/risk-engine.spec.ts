import { toMinor } from '@paystream/money';
import { defaultRiskRules, RiskRules } from '../rules/risk-rules';
import { assessPayment, DebtorHistory, PaymentToAssess, velocityWindow } from './risk-engine';

const rules: RiskRules = defaultRiskRules({ amountLimit: '10000.00' });
const seasoned: DebtorHistory = { windowCount: 0, windowAmountMinor: 0n, approvedPayments: 10 };

function payment(amount: string, currency = 'EUR', debtorAccountId = 'acc-1'): PaymentToAssess {
  return {
    debtorAccountId,
    amountMinor: toMinor(amount, currency),
    currency,
    occurredAt: new Date('2026-01-01T10:00:00Z'),
  };
}

describe(assessPayment.name, () => {
  describe('amount limit', () => {
    it('approves a payment of exactly the limit', () => {
      expect(assessPayment(payment('10000.00'), rules, seasoned)).toEqual({
        decision: 'APPROVE',
        score: 1,
        reasons: [],
      });
    });

    it('rejects a payment one cent above the limit with RISK_AMOUNT_LIMIT', () => {
      const result = assessPayment(payment('10000.01'), rules, seasoned);
      expect(result.decision).toBe('REJECT');
      expect(result.reasons).toEqual(['RISK_AMOUNT_LIMIT']);
      expect(result.score).toBe(1);
    });

    it('applies a per-currency limit over the default, read in that currency exponent', () => {
      const jpy: RiskRules = { ...rules, amountLimit: { default: '10000.00', perCurrency: { JPY: '1500000' } } };
      const wide: RiskRules = { ...jpy, velocity: { ...jpy.velocity, maxAmount: '9999999' } };
      expect(assessPayment(payment('1500000', 'JPY'), wide, seasoned).decision).toBe('APPROVE');
      expect(assessPayment(payment('1500001', 'JPY'), wide, seasoned).reasons).toEqual(['RISK_AMOUNT_LIMIT']);
      expect(assessPayment(payment('10000.01', 'EUR'), wide, seasoned).reasons).toEqual(['RISK_AMOUNT_LIMIT']);
    });
  });

  describe('blocked accounts', () => {
    const blocking: RiskRules = { ...rules, blockedAccounts: ['acc-bad'] };

    it('rejects any payment from a blocked debtor with RISK_BLOCKED_ACCOUNT', () => {
      expect(assessPayment(payment('1.00', 'EUR', 'acc-bad'), blocking, seasoned)).toEqual({
        decision: 'REJECT',
        score: 1,
        reasons: ['RISK_BLOCKED_ACCOUNT'],
      });
    });

    it('approves the same payment from an account that is not blocked', () => {
      expect(assessPayment(payment('1.00', 'EUR', 'acc-good'), blocking, seasoned).decision).toBe('APPROVE');
    });
  });

  describe('new account limit', () => {
    it('rejects a payment above the lower limit while the account has fewer than firstPayments approved', () => {
      const fresh: DebtorHistory = { windowCount: 0, windowAmountMinor: 0n, approvedPayments: 2 };
      const result = assessPayment(payment('1000.01'), rules, fresh);
      expect(result).toEqual({ decision: 'REJECT', score: 1, reasons: ['RISK_NEW_ACCOUNT_LIMIT'] });
    });

    it('approves a payment at the lower limit for a new account', () => {
      const fresh: DebtorHistory = { windowCount: 0, windowAmountMinor: 0n, approvedPayments: 0 };
      expect(assessPayment(payment('1000.00'), rules, fresh)).toEqual({ decision: 'APPROVE', score: 1, reasons: [] });
    });

    it('stops applying once the account has firstPayments approved payments', () => {
      const established: DebtorHistory = { windowCount: 0, windowAmountMinor: 0n, approvedPayments: 3 };
      expect(assessPayment(payment('1000.01'), rules, established).decision).toBe('APPROVE');
    });
  });

  describe('velocity', () => {
    it('approves the maxCount-th payment in the window and rejects the next with RISK_VELOCITY_COUNT', () => {
      const nineteen: DebtorHistory = { windowCount: 19, windowAmountMinor: 1900n, approvedPayments: 19 };
      const twenty: DebtorHistory = { windowCount: 20, windowAmountMinor: 2000n, approvedPayments: 20 };
      expect(assessPayment(payment('0.01'), rules, nineteen)).toEqual({ decision: 'APPROVE', score: 1, reasons: [] });
      expect(assessPayment(payment('0.01'), rules, twenty).reasons).toEqual(['RISK_VELOCITY_COUNT']);
    });

    it('rejects a payment that takes the window total above maxAmount with RISK_VELOCITY_AMOUNT', () => {
      const spent: DebtorHistory = {
        windowCount: 5,
        windowAmountMinor: toMinor('45000.00', 'EUR'),
        approvedPayments: 5,
      };
      expect(assessPayment(payment('5000.00'), rules, spent)).toEqual({ decision: 'APPROVE', score: 1, reasons: [] });
      expect(assessPayment(payment('5000.01'), rules, spent)).toEqual({
        decision: 'REJECT',
        score: 1,
        reasons: ['RISK_VELOCITY_AMOUNT'],
      });
    });

    it('computes the window from the payment occurredAt, not the clock', () => {
      const at = new Date('2026-01-01T10:00:00Z');
      expect(velocityWindow(at, rules)).toEqual({ from: new Date('2026-01-01T09:50:00Z'), to: at });
    });
  });

  it('lists every broken rule, most severe first', () => {
    const all: RiskRules = { ...rules, blockedAccounts: ['acc-1'] };
    const history: DebtorHistory = {
      windowCount: 20,
      windowAmountMinor: toMinor('49000.00', 'EUR'),
      approvedPayments: 0,
    };
    expect(assessPayment(payment('20000.00'), all, history).reasons).toEqual([
      'RISK_BLOCKED_ACCOUNT',
      'RISK_AMOUNT_LIMIT',
      'RISK_NEW_ACCOUNT_LIMIT',
      'RISK_VELOCITY_COUNT',
      'RISK_VELOCITY_AMOUNT',
    ]);
  });

  it('scores an approved payment by its closest limit', () => {
    // 2500.00 of a 10000.00 limit is 0.25; one payment of 20 is 0.05; 2500 of 50000 is 0.05.
    expect(assessPayment(payment('2500.00'), rules, seasoned)).toEqual({
      decision: 'APPROVE',
      score: 0.25,
      reasons: [],
    });
  });

  it('gives the same decision for the same inputs', () => {
    const history: DebtorHistory = { windowCount: 3, windowAmountMinor: 12345n, approvedPayments: 4 };
    expect(assessPayment(payment('777.77'), rules, history)).toEqual(assessPayment(payment('777.77'), rules, history));
  });
});
