import type { SharedConfig } from '@paystream/platform';

/** Ledger service variables on top of the shared ones (README: Configuration). */
export const ledgerConfigShape = {};

export type LedgerConfig = SharedConfig;
