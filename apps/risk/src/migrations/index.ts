import { RiskSchema1764090000000 } from './1764090000000-risk-schema';

/** Every migration of the risk database, in order (the messaging runtime's tables are added once it lands). */
export const riskMigrations = [RiskSchema1764090000000];
