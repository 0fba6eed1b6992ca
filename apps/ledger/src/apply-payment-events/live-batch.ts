import type { EntityManager } from 'typeorm';
import type { Account } from '../domain/account';
import type { JournalEntry } from '../domain/journal';
import {
  MismatchRow,
  OutcomeRow,
  RefusalRow,
  insertEntries,
  insertMismatches,
  insertOutcomes,
  insertRefusals,
  lockAccounts,
  setBalances,
} from '../persistence/journal.writer';

/**
 * The live ledger's writes of one consumer batch (one PostgreSQL transaction). Account rows are
 * locked and read once per batch, then balances move in memory; the rows are written in a few
 * multi-row statements just before the commit. A failed attempt discards this object with its
 * transaction, so a retry starts from the database again.
 */
export class LiveBatch {
  /** Accounts locked by this transaction, with their balances as of the batch so far. */
  private readonly locked = new Map<string, Account>();
  /** Ids looked up under this transaction and not found. */
  private readonly missing = new Set<string>();
  private readonly touched = new Set<string>();
  readonly entriesByPayment = new Map<string, JournalEntry>();
  readonly decided = new Set<string>();
  readonly refusals: RefusalRow[] = [];
  readonly outcomes: OutcomeRow[] = [];
  readonly mismatches: MismatchRow[] = [];

  /** The payment's accounts, locked (see lockAccounts for the order); undefined when absent. */
  async accounts(manager: EntityManager, ids: readonly string[]): Promise<(Account | undefined)[]> {
    const wanted = ids.filter((id) => !this.locked.has(id) && !this.missing.has(id));
    if (wanted.length) {
      const found = await lockAccounts(manager, wanted);
      for (const a of found) this.locked.set(a.id, a);
      for (const id of wanted) if (!this.locked.has(id)) this.missing.add(id);
    }
    return ids.map((id) => this.locked.get(id));
  }

  post(entry: JournalEntry): void {
    for (const p of entry.postings) {
      const account = this.locked.get(p.accountId);
      if (!account) throw new Error(`posting to ${p.accountId}, which this batch has not locked`);
      account.balance += p.amount;
      this.touched.add(p.accountId);
    }
    this.entriesByPayment.set(entry.paymentId, entry);
    this.decided.add(entry.paymentId);
  }

  refuse(refusal: RefusalRow): void {
    this.refusals.push(refusal);
    this.decided.add(refusal.paymentId);
  }

  async flush(manager: EntityManager): Promise<void> {
    await insertEntries(manager, [...this.entriesByPayment.values()]);
    await setBalances(
      manager,
      [...this.touched].map((id) => this.locked.get(id)!),
    );
    await insertRefusals(manager, this.refusals);
    await insertOutcomes(manager, this.outcomes);
    await insertMismatches(manager, this.mismatches);
  }
}
