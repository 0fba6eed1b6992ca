/** Every migration of the ledger database, in order. */
export const ledgerMigrations = [];
