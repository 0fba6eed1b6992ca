import { EntityManager } from 'typeorm';
import { DebtorHistory } from '../assess-payment/risk-engine';

export interface StoredDecision {
  paymentId: string;
  sourceEventId: string;
  decisionEventId: string;
  debtorAccountId: string;
  creditorAccountId: string;
  amountMinor: bigint;
  currency: string;
  decision: 'APPROVE' | 'REJECT';
  score: number;
  reasons: string[];
  ruleVersion: number;
  occurredAt: Date;
  correlationId: string;
  decidedAt: Date;
}

interface DecisionRow {
  payment_id: string;
  source_event_id: string;
  decision_event_id: string;
  debtor_account_id: string;
  creditor_account_id: string;
  amount_minor: string;
  currency: string;
  decision: 'APPROVE' | 'REJECT';
  score: number;
  reasons: string[];
  rule_version: number;
  occurred_at: Date;
  correlation_id: string;
  decided_at: Date;
}

/**
 * Decisions and the velocity state derived from them. The consumer calls these with the batch's
 * transaction (ctx.manager), so a decision, its counters and the dedupe row commit together.
 */
export class DecisionsRepository {
  async find(db: EntityManager, paymentId: string): Promise<StoredDecision | undefined> {
    const rows: DecisionRow[] = await db.query(`SELECT * FROM risk_decisions WHERE payment_id = $1`, [paymentId]);
    return rows[0] && toDecision(rows[0]);
  }

  /** The debtor's approvals in (from, to] by occurredAt, and the approvals ever. */
  async history(
    db: EntityManager,
    debtorAccountId: string,
    currency: string,
    from: Date,
    to: Date,
  ): Promise<DebtorHistory> {
    const rows: { count: string; amount: string | null; approved: string | null }[] = await db.query(
      `SELECT count(*) AS count,
              sum(amount_minor) FILTER (WHERE currency = $2) AS amount,
              (SELECT approved_payments FROM risk_account_activity WHERE account_id = $1) AS approved
         FROM risk_decisions
        WHERE debtor_account_id = $1 AND decision = 'APPROVE' AND occurred_at > $3 AND occurred_at <= $4`,
      [debtorAccountId, currency, from.toISOString(), to.toISOString()],
    );
    const row = rows[0];
    return {
      windowCount: Number(row.count),
      windowAmountMinor: BigInt(row.amount ?? '0'),
      approvedPayments: Number(row.approved ?? '0'),
    };
  }

  /**
   * Records the decision and, for an approval, counts it for the debtor. Returns false when the
   * payment already has a decision (a second payment.initiated for one payment id): the first
   * decision stands and nothing is counted twice.
   */
  async insert(db: EntityManager, d: Omit<StoredDecision, 'decidedAt'>): Promise<boolean> {
    // One round trip: the decision, and for an approval the debtor's counter, only if the
    // decision row was new (ON CONFLICT DO NOTHING returns no row for a decided payment).
    const rows: { inserted: number }[] = await db.query(
      `WITH d AS (
         INSERT INTO risk_decisions (payment_id, source_event_id, decision_event_id, debtor_account_id,
                creditor_account_id, amount_minor, currency, decision, score, reasons, rule_version,
                occurred_at, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (payment_id) DO NOTHING
         RETURNING debtor_account_id, decision, occurred_at
       ), counted AS (
         INSERT INTO risk_account_activity (account_id, approved_payments, first_approved_at, last_approved_at)
         SELECT debtor_account_id, 1, occurred_at, occurred_at FROM d WHERE decision = 'APPROVE'
         ON CONFLICT (account_id) DO UPDATE SET
           approved_payments = risk_account_activity.approved_payments + 1,
           last_approved_at = GREATEST(risk_account_activity.last_approved_at, EXCLUDED.last_approved_at)
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM d)::int AS inserted, (SELECT count(*) FROM counted)::int AS counted`,
      [
        d.paymentId,
        d.sourceEventId,
        d.decisionEventId,
        d.debtorAccountId,
        d.creditorAccountId,
        d.amountMinor.toString(),
        d.currency,
        d.decision,
        d.score,
        d.reasons,
        d.ruleVersion,
        d.occurredAt.toISOString(),
        d.correlationId,
      ],
    );
    return rows[0].inserted === 1;
  }
}

function toDecision(r: DecisionRow): StoredDecision {
  return {
    paymentId: r.payment_id,
    sourceEventId: r.source_event_id,
    decisionEventId: r.decision_event_id,
    debtorAccountId: r.debtor_account_id,
    creditorAccountId: r.creditor_account_id,
    amountMinor: BigInt(r.amount_minor),
    currency: r.currency,
    decision: r.decision,
    score: r.score,
    reasons: r.reasons,
    ruleVersion: r.rule_version,
    occurredAt: new Date(r.occurred_at),
    correlationId: r.correlation_id,
    decidedAt: new Date(r.decided_at),
  };
}
