import { Injectable } from '@nestjs/common';
import { fromMinor } from '@paystream/money';
import { ProblemException } from '@paystream/platform';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { rows } from '../persistence/sql';
import { StoredAccount, balanceAsOf, findAccount, statement } from '../persistence/ledger.reader';
import { AccountExistsError, AccountNotFoundError } from './account.errors';
import { AccountResponse, CreateAccountInput, StatementResponse } from './account.dto';

function present(a: StoredAccount, balance: bigint, asOf?: Date): AccountResponse {
  return {
    id: a.id,
    currency: a.currency,
    balance: fromMinor(balance, a.currency),
    allowOverdraft: a.allowOverdraft,
    name: a.name,
    createdAt: a.createdAt.toISOString(),
    ...(asOf ? { asOf: asOf.toISOString() } : {}),
  };
}

function encodeCursor(c: { postedAtMicros: string; entryId: string }): string {
  return Buffer.from(`${c.postedAtMicros}/${c.entryId}`).toString('base64url');
}

function decodeCursor(cursor: string): { postedAtMicros: string; entryId: string } {
  const m = /^(-?\d{1,20})\/([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw ProblemException.validation([{ field: 'cursor', message: 'is not a cursor of this API' }]);
  return { postedAtMicros: m[1], entryId: m[2] };
}

@Injectable()
export class AccountsService {
  constructor(private readonly dataSource: DataSource) {}

  async create(input: CreateAccountInput): Promise<AccountResponse> {
    const id = input.id ?? uuidv7();
    // ON CONFLICT: a taken id (also two creations racing) is a 409, not a logged database error.
    const inserted = await rows<{ id: string }>(
      this.dataSource,
      `INSERT INTO accounts (id, currency, allow_overdraft, name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, input.currency, input.allowOverdraft ?? false, input.name ?? null],
    );
    if (!inserted.length) throw new AccountExistsError(id);
    const stored = await findAccount(this.dataSource, id);
    if (!stored) throw new AccountNotFoundError(id);
    return present(stored, stored.balance);
  }

  async get(id: string, asOf?: Date): Promise<AccountResponse> {
    const account = await findAccount(this.dataSource, id);
    if (!account) throw new AccountNotFoundError(id);
    if (!asOf) return present(account, account.balance);
    return present(account, await balanceAsOf(this.dataSource, id, asOf), asOf);
  }

  async statement(id: string, limit: number, cursor?: string): Promise<StatementResponse> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const account = await findAccount(this.dataSource, id);
    if (!account) throw new AccountNotFoundError(id);
    const page = await statement(this.dataSource, id, limit, after);
    return {
      accountId: id,
      items: page.lines.map((l) => ({
        entryId: l.entryId,
        paymentId: l.paymentId,
        amount: fromMinor(l.amount, l.currency),
        currency: l.currency,
        postedAt: l.postedAt.toISOString(),
        counterpartyAccountId: l.counterpartyAccountId,
      })),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    };
  }
}
