/** An account as the ledger's decisions see it: one currency, a balance in minor units. */
export interface Account {
  id: string;
  currency: string;
  allowOverdraft: boolean;
  name: string | null;
  balance: bigint;
}

/** Account ids: what payments and the HTTP API accept (a path segment, a Kafka key). */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
