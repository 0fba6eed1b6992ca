import { messagingMigrations } from '@paystream/messaging';
import { LedgerSchema1795609596990 } from './1795609596990-ledger-schema';

/** Every migration of the ledger database, in order: the messaging runtime's tables, then the ledger's. */
export const ledgerMigrations = [...messagingMigrations, LedgerSchema1795609596990];
