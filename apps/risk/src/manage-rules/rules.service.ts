import { DataSource } from 'typeorm';
import { RuleChange, RulesRepository, RuleVersion } from '../persistence/rules.repository';
import { defaultRiskRules, DefaultRuleSettings, RiskRules } from '../rules/risk-rules';

/** Reading and replacing the rules; the consumer reads the current version per batch, so a change applies at once. */
export class RulesService {
  constructor(
    private readonly db: DataSource,
    private readonly repository: RulesRepository,
    private readonly defaults: DefaultRuleSettings,
  ) {}

  /** A fresh install gets version 1 from the configured defaults; an existing one keeps its rules. */
  async installDefaults(): Promise<void> {
    await this.repository.installDefaults(this.db.manager, defaultRiskRules(this.defaults));
  }

  async current(): Promise<RuleVersion> {
    const current = await this.repository.current(this.db.manager);
    if (!current) throw new Error('no risk rules installed');
    return current;
  }

  replace(rules: RiskRules, correlationId: string | null): Promise<RuleChange> {
    return this.db.transaction((tx) => this.repository.append(tx, rules, correlationId));
  }

  history(limit: number, beforeVersion?: number): Promise<RuleChange[]> {
    return this.repository.history(this.db.manager, limit, beforeVersion);
  }
}
