import type { LedgerPostedData, LedgerRefusedData, RiskAssessedData } from '@paystream/contracts';
import { Applied, EventStamp, Payment } from './payment';

const terms = { debtorAccountId: 'acc-alice', creditorAccountId: 'acc-bob', amount: '125.50', currency: 'EUR' };
let seq = 0;
const stamp = (): EventStamp => ({
  eventId: `00000000-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
  correlationId: 'corr-1',
});

function initiated(): Applied {
  return Payment.initiate(
    '0190aaaa-0000-7000-8000-000000000001',
    {
      debtorAccountId: 'acc-alice',
      creditorAccountId: 'acc-bob',
      amountMinor: 12550n,
      currency: 'EUR',
      reference: 'Invoice 7',
      metadata: { b: 1, a: { y: true, x: 'z' } },
    },
    stamp(),
  );
}

const approve: RiskAssessedData = { ...terms, decision: 'APPROVE', score: 12, reasons: [], ruleVersion: 3 };
const reject: RiskAssessedData = {
  ...terms,
  decision: 'REJECT',
  score: 95,
  reasons: ['VELOCITY_NOTE', 'RISK_AMOUNT_LIMIT'],
  ruleVersion: 3,
};
const posted: LedgerPostedData = {
  ...terms,
  journalEntryId: 'je-1',
  postings: [
    { accountId: 'acc-alice', amount: '-125.50', currency: 'EUR' },
    { accountId: 'acc-bob', amount: '125.50', currency: 'EUR' },
  ],
  postedAt: '2026-01-15T10:00:01.000Z',
};
const refused: LedgerRefusedData = { ...terms, reason: 'INSUFFICIENT_FUNDS', refusedAt: '2026-01-15T10:00:01.000Z' };

function applied(outcome: ReturnType<Payment['applyRiskDecision']> | ReturnType<Payment['applyLedgerPosted']>) {
  if (outcome.outcome !== 'applied') throw new Error(`expected applied, got ${outcome.outcome}`);
  return outcome;
}

describe(Payment.name, () => {
  it('initiates a PENDING payment at version 1 with a payment.initiated event in the contract shape', () => {
    const { payment, event, change } = initiated();
    expect(payment.status).toBe('PENDING');
    expect(change).toMatchObject({ status: 'PENDING', version: 1, reason: null, causeEventId: null });
    expect(event).toEqual({
      eventId: change.eventId,
      type: 'payment.initiated',
      occurredAt: change.occurredAt.toISOString(),
      paymentId: '0190aaaa-0000-7000-8000-000000000001',
      correlationId: 'corr-1',
      version: 1,
      data: { ...terms, reference: 'Invoice 7', metadata: '{"a":{"x":"z","y":true},"b":1}' },
    });
  });

  it('authorizes on APPROVE: AUTHORIZED at version 2 with payment.authorized carrying the risk score', () => {
    const result = applied(initiated().payment.applyRiskDecision(approve, 'risk-evt-1', stamp()));
    expect(result.payment.status).toBe('AUTHORIZED');
    expect(result.change).toMatchObject({ status: 'AUTHORIZED', version: 2, causeEventId: 'risk-evt-1' });
    expect(result.event).toMatchObject({
      type: 'payment.authorized',
      version: 2,
      data: { ...terms, riskScore: 12, ruleVersion: 3 },
    });
  });

  it('rejects on REJECT with the first RISK_* reason', () => {
    const result = applied(initiated().payment.applyRiskDecision(reject, 'risk-evt-1', stamp()));
    expect(result.payment.state).toMatchObject({ status: 'REJECTED', reason: 'RISK_AMOUNT_LIMIT', version: 2 });
    expect(result.event).toMatchObject({
      type: 'payment.rejected',
      data: { reason: 'RISK_AMOUNT_LIMIT', reasons: ['VELOCITY_NOTE', 'RISK_AMOUNT_LIMIT'], riskScore: 95 },
    });
  });

  it('settles an authorized payment with the ledger postings', () => {
    const authorized = applied(initiated().payment.applyRiskDecision(approve, 'r', stamp())).payment;
    const result = applied(authorized.applyLedgerPosted(posted, 'l', stamp()));
    expect(result.payment.status).toBe('SETTLED');
    expect(result.event).toMatchObject({
      type: 'payment.settled',
      version: 3,
      data: { journalEntryId: 'je-1', postings: posted.postings },
    });
  });

  it('fails an authorized payment with the ledger reason', () => {
    const authorized = applied(initiated().payment.applyRiskDecision(approve, 'r', stamp())).payment;
    const result = authorized.applyLedgerRefused(refused, 'l', stamp());
    expect(result).toMatchObject({
      outcome: 'applied',
      payment: { state: { status: 'FAILED', reason: 'INSUFFICIENT_FUNDS', version: 3 } },
      event: { type: 'payment.failed', version: 3, data: { reason: 'INSUFFICIENT_FUNDS' } },
    });
  });

  it('refuses a second decision for the same payment as a repeated illegal transition', () => {
    const authorized = applied(initiated().payment.applyRiskDecision(approve, 'r', stamp())).payment;
    expect(authorized.applyRiskDecision(approve, 'r2', stamp())).toEqual({
      outcome: 'illegal',
      from: 'AUTHORIZED',
      to: 'AUTHORIZED',
      repeated: true,
    });
    expect(authorized.applyRiskDecision(reject, 'r3', stamp())).toEqual({
      outcome: 'illegal',
      from: 'AUTHORIZED',
      to: 'REJECTED',
      repeated: false,
    });
    expect(authorized.state.status).toBe('AUTHORIZED');
  });

  it.each([
    ['settle a PENDING payment', (p: Payment) => p.applyLedgerPosted(posted, 'l', stamp()), 'PENDING', 'SETTLED'],
    ['fail a PENDING payment', (p: Payment) => p.applyLedgerRefused(refused, 'l', stamp()), 'PENDING', 'FAILED'],
  ])('refuses to %s', (_name, move, from, to) => {
    expect(move(initiated().payment)).toEqual({ outcome: 'illegal', from, to, repeated: false });
  });

  it('refuses any move out of a final status', () => {
    const rejected = applied(initiated().payment.applyRiskDecision(reject, 'r', stamp())).payment;
    expect(rejected.applyLedgerPosted(posted, 'l', stamp())).toMatchObject({ outcome: 'illegal', from: 'REJECTED' });
    expect(rejected.applyRiskDecision(approve, 'r2', stamp())).toMatchObject({ outcome: 'illegal', from: 'REJECTED' });
  });

  it('reports a decision about other terms as a mismatch naming the fields', () => {
    const payment = initiated().payment;
    expect(payment.applyRiskDecision({ ...approve, amount: '125.51', creditorAccountId: 'x' }, 'r', stamp())).toEqual({
      outcome: 'terms-mismatch',
      fields: ['creditorAccountId', 'amount'],
    });
    // "125.5" is the same amount as "125.50".
    expect(payment.applyRiskDecision({ ...approve, amount: '125.5' }, 'r', stamp()).outcome).toBe('applied');
  });
});
