import { LedgerSchema1795609596990 } from './1795609596990-ledger-schema';

/** Every migration of the ledger's own tables, in order (the messaging runtime's come first). */
export const ledgerMigrations = [LedgerSchema1795609596990];
