import { messagingMigrations } from '@paystream/messaging';
import { RiskSchema1764090000000 } from './1764090000000-risk-schema';

/** Every migration of the risk database, in order: the messaging runtime's tables, then risk's own. */
export const riskMigrations = [...messagingMigrations, RiskSchema1764090000000];
