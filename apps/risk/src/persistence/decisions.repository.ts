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

  /**
   * The debtor's approvals in (from, to] by occurredAt, the approvals ever, and whether
   * `paymentId` has a decision already (a second payment.initiated for one payment id: the first
   * decision stands). One round trip: `histories` for one payment.
   */
  async history(
    db: EntityManager,
    debtorAccountId: string,
    currency: string,
    from: Date,
    to: Date,
    paymentId: string,
  ): Promise<DebtorHistory & { decided: boolean }> {
    const found = await this.histories(db, [{ paymentId, debtorAccountId, currency, from, to }]);
    const history = found.get(paymentId);
    if (!history) throw new Error(`no velocity history row for payment ${paymentId}`);
    return history;
  }

  /**
   * `history` for many payments in one statement (a consumer batch reading ahead), keyed by
   * payment id. Each payment's window is its own; none counts the others of the list.
   */
  async histories(
    db: EntityManager,
    payments: Array<{ paymentId: string; debtorAccountId: string; currency: string; from: Date; to: Date }>,
  ): Promise<Map<string, DebtorHistory & { decided: boolean }>> {
    if (payments.length === 0) return new Map();
    const rows: {
      payment_id: string;
      count: string;
      amount: string | null;
      approved: string | null;
      decided: boolean;
    }[] = await db.query(
      `SELECT u.payment_id, w.count, w.amount,
                (SELECT approved_payments FROM risk_account_activity WHERE account_id = u.debtor) AS approved,
                EXISTS (SELECT 1 FROM risk_decisions WHERE payment_id = u.payment_id) AS decided
           FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
                  AS u(payment_id, debtor, currency, since, until)
           CROSS JOIN LATERAL (
             SELECT count(*) AS count, sum(amount_minor) FILTER (WHERE currency = u.currency) AS amount
               FROM risk_decisions
              WHERE debtor_account_id = u.debtor AND decision = 'APPROVE'
                AND occurred_at > u.since AND occurred_at <= u.until) w`,
      [
        payments.map((p) => p.paymentId),
        payments.map((p) => p.debtorAccountId),
        payments.map((p) => p.currency),
        payments.map((p) => p.from.toISOString()),
        payments.map((p) => p.to.toISOString()),
      ],
    );
    return new Map(
      rows.map((row) => [
        row.payment_id,
        {
          windowCount: Number(row.count),
          windowAmountMinor: BigInt(row.amount ?? '0'),
          approvedPayments: Number(row.approved ?? '0'),
          decided: row.decided,
        },
      ]),
    );
  }

  /**
   * Records a batch's decisions and counts its approvals per debtor, in one statement. A payment
   * that got a decision meanwhile (another instance deciding the same payment id) fails the
   * whole batch as a lost race (SQLSTATE 40001, retried by the runtime), and the retry finds that
   * decision through `history` and emits nothing for it: never two decisions for one payment.
   */
  async insertAll(db: EntityManager, decisions: Array<Omit<StoredDecision, 'decidedAt'>>): Promise<void> {
    if (decisions.length === 0) return;
    const column = <K extends keyof Omit<StoredDecision, 'decidedAt'>>(k: K) => decisions.map((d) => d[k]);
    const rows: { inserted: number }[] = await db.query(
      `WITH d AS (
         INSERT INTO risk_decisions (payment_id, source_event_id, decision_event_id, debtor_account_id,
                creditor_account_id, amount_minor, currency, decision, score, reasons, rule_version,
                occurred_at, correlation_id)
         SELECT u.payment_id, u.source_event_id, u.decision_event_id, u.debtor_account_id, u.creditor_account_id,
                u.amount_minor, u.currency, u.decision, u.score,
                ARRAY(SELECT jsonb_array_elements_text($10::jsonb -> (u.n::int - 1))), u.rule_version,
                u.occurred_at, u.correlation_id
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                       $8::text[], $9::double precision[], $11::int[], $12::timestamptz[], $13::text[])
                  WITH ORDINALITY AS u(payment_id, source_event_id, decision_event_id, debtor_account_id,
                       creditor_account_id, amount_minor, currency, decision, score, rule_version, occurred_at,
                       correlation_id, n)
         ON CONFLICT (payment_id) DO NOTHING
         RETURNING debtor_account_id, decision, occurred_at
       ), counted AS (
         INSERT INTO risk_account_activity (account_id, approved_payments, first_approved_at, last_approved_at)
         SELECT debtor_account_id, count(*), min(occurred_at), max(occurred_at) FROM d
          WHERE decision = 'APPROVE' GROUP BY debtor_account_id
         ON CONFLICT (account_id) DO UPDATE SET
           approved_payments = risk_account_activity.approved_payments + EXCLUDED.approved_payments,
           last_approved_at = GREATEST(risk_account_activity.last_approved_at, EXCLUDED.last_approved_at)
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM d)::int AS inserted, (SELECT count(*) FROM counted)::int AS counted`,
      [
        column('paymentId'),
        column('sourceEventId'),
        column('decisionEventId'),
        column('debtorAccountId'),
        column('creditorAccountId'),
        decisions.map((d) => d.amountMinor.toString()),
        column('currency'),
        column('decision'),
        column('score'),
        JSON.stringify(decisions.map((d) => d.reasons)),
        column('ruleVersion'),
        decisions.map((d) => d.occurredAt.toISOString()),
        column('correlationId'),
      ],
    );
    if (rows[0].inserted !== decisions.length) {
      throw Object.assign(new Error('a payment of this batch was decided meanwhile; the batch is retried'), {
        code: '40001',
      });
    }
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
