import { EntityManager } from 'typeorm';
import { RiskRules } from '../rules/risk-rules';

export interface RuleVersion {
  version: number;
  rules: RiskRules;
  changedAt: Date;
}

export interface RuleChange extends RuleVersion {
  previous: RiskRules | null;
  correlationId: string | null;
}

interface RuleRow {
  version: number;
  rules: RiskRules;
  changed_at: Date;
  correlation_id: string | null;
  previous: RiskRules | null;
}

/** Rule versions in risk_rule_versions; every method runs in the caller's transaction or manager. */
export class RulesRepository {
  async current(db: EntityManager): Promise<RuleVersion | undefined> {
    const rows: RuleRow[] = await db.query(
      `SELECT version, rules, changed_at FROM risk_rule_versions ORDER BY version DESC LIMIT 1`,
    );
    return rows[0] && toVersion(rows[0]);
  }

  async byVersion(db: EntityManager, version: number): Promise<RuleVersion | undefined> {
    const rows: RuleRow[] = await db.query(
      `SELECT version, rules, changed_at FROM risk_rule_versions WHERE version = $1`,
      [version],
    );
    return rows[0] && toVersion(rows[0]);
  }

  /** Writes version 1 unless any version exists; concurrent first starts both end up with the same row. */
  async installDefaults(db: EntityManager, rules: RiskRules): Promise<void> {
    await db.query(
      `INSERT INTO risk_rule_versions (version, rules) VALUES (1, $1::jsonb) ON CONFLICT (version) DO NOTHING`,
      [JSON.stringify(rules)],
    );
  }

  /**
   * Appends a new version after the current one. Must run in a transaction: the advisory lock
   * serialises concurrent PUTs, so each gets the next version and sees its predecessor.
   */
  async append(db: EntityManager, rules: RiskRules, correlationId: string | null): Promise<RuleChange> {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('risk_rule_versions'))`);
    const current = await this.current(db);
    const rows: RuleRow[] = await db.query(
      `INSERT INTO risk_rule_versions (version, rules, correlation_id) VALUES ($1, $2::jsonb, $3)
       RETURNING version, rules, changed_at, correlation_id`,
      [(current?.version ?? 0) + 1, JSON.stringify(rules), correlationId],
    );
    return { ...toVersion(rows[0]), previous: current?.rules ?? null, correlationId };
  }

  /** Every change, newest first, each with the rules it replaced. */
  async history(db: EntityManager, limit: number, beforeVersion?: number): Promise<RuleChange[]> {
    const rows: RuleRow[] = await db.query(
      `SELECT v.version, v.rules, v.changed_at, v.correlation_id, p.rules AS previous
         FROM risk_rule_versions v
         LEFT JOIN risk_rule_versions p ON p.version = v.version - 1
        WHERE $1::int IS NULL OR v.version < $1
        ORDER BY v.version DESC
        LIMIT $2`,
      [beforeVersion ?? null, limit],
    );
    return rows.map((r) => ({ ...toVersion(r), previous: r.previous, correlationId: r.correlation_id }));
  }
}

function toVersion(row: RuleRow): RuleVersion {
  return { version: row.version, rules: row.rules, changedAt: new Date(row.changed_at) };
}
