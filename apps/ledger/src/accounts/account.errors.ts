import { DomainError } from '@paystream/platform';

export class AccountExistsError extends DomainError {
  constructor(id: string) {
    super('ACCOUNT_EXISTS', `account ${id} already exists`, { accountId: id });
  }
}

export class AccountNotFoundError extends DomainError {
  constructor(id: string) {
    super('ACCOUNT_NOT_FOUND', `account ${id} does not exist`, { accountId: id });
  }
}

/** HTTP statuses of the ledger's domain error codes (the problem filter's table). */
export const LEDGER_DOMAIN_STATUS: Record<string, number> = { ACCOUNT_EXISTS: 409, ACCOUNT_NOT_FOUND: 404 };
