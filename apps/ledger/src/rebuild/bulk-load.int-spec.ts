import { TestDatabase, createTestDatabase } from '@paystream/testing';
import { DataSource } from 'typeorm';
import type { LedgerConfig } from '../config';
import { ReplayRows, insertReplayed, keepFirstPerPayment } from '../persistence/replay-rows';
import {
  SuspendedStructures,
  restoreForeignKeys,
  restoreKeysAndIndexes,
  suspendSecondaryStructures,
} from './bulk-load';
import { openDatabase } from './rebuild-database';

/** The replay's load without keys, and the keys coming back with the first rows of each payment. */
describe('rebuild bulk load', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('ledger_bulk_load');
    // Opened as the rebuild opens its target database.
    ds = openDatabase({ DATABASE_URL: db.serverUrl } as LedgerConfig, db.name, 4);
    await ds.initialize();
    await ds.runMigrations();
    await ds.query(
      `INSERT INTO accounts (id, currency, allow_overdraft) VALUES ('a', 'EUR', true), ('b', 'EUR', true), ('c', 'EUR', true)`,
    );
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await ds.query(`TRUNCATE postings, journal_entries, payment_outcomes, refusals`);
  });

  const pair = (from: string, to: string, minor: bigint) => [
    { accountId: from, amount: -minor, currency: 'EUR' },
    { accountId: to, amount: minor, currency: 'EUR' },
  ];
  const uuid = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

  /** One chunk of the replay: its own transaction, as the runtime commits it. */
  async function chunk(fill: (rows: ReplayRows) => void): Promise<void> {
    const rows = new ReplayRows();
    fill(rows);
    await ds.transaction((m) => insertReplayed(m, rows));
  }

  async function finish(suspended: SuspendedStructures): Promise<boolean> {
    const had = await restoreKeysAndIndexes(ds, suspended, keepFirstPerPayment);
    await ds.transaction((m) => restoreForeignKeys(m, suspended));
    return had;
  }

  const constraintCount = async () =>
    Number(
      (
        await ds.query<{ n: string }[]>(
          `SELECT count(*) AS n FROM pg_constraint WHERE contype IN ('p', 'u', 'f') AND
            conrelid::regclass::text IN ('journal_entries', 'postings', 'payment_outcomes', 'refusals')`,
        )
      )[0].n,
    );

  const indexCount = async () =>
    Number(
      (
        await ds.query<{ n: string }[]>(
          `SELECT count(*) AS n FROM pg_indexes
            WHERE tablename IN ('journal_entries', 'postings', 'payment_outcomes', 'refusals')`,
        )
      )[0].n,
    );

  it('loads without keys and adds every key, index and foreign key back when no payment came twice', async () => {
    const before = await constraintCount();
    const indexesBefore = await indexCount();
    const suspended = await suspendSecondaryStructures(ds);
    expect(await constraintCount()).toBe(0);
    await chunk((rows) => {
      rows.addEntry(uuid(1), 'p1', 1000, pair('a', 'b', 5n));
      rows.addOutcome('p1', 'SETTLED', null, uuid(101), 1000);
    });
    await chunk((rows) => rows.addOutcome('p2', 'FAILED', 'RISK_REJECTED', uuid(102), 2000));
    expect(await finish(suspended)).toBe(false);
    expect(await constraintCount()).toBe(before);
    expect(await indexCount()).toBe(indexesBefore);
    expect(await ds.query(`SELECT payment_id FROM payment_outcomes ORDER BY 1`)).toEqual([
      { payment_id: 'p1' },
      { payment_id: 'p2' },
    ]);
    await expect(
      ds.query(
        `INSERT INTO payment_outcomes (payment_id, status, event_id, occurred_at) VALUES ('p1', 'SETTLED', $1, now())`,
        [uuid(103)],
      ),
    ).rejects.toThrow(/duplicate key/);
  });

  it('keeps what the first chunk wrote for a payment met again in a later one, postings with their entry', async () => {
    const suspended = await suspendSecondaryStructures(ds);
    await chunk((rows) => {
      rows.addEntry(uuid(1), 'p1', 1000, pair('a', 'b', 5n));
      rows.addOutcome('p1', 'SETTLED', null, uuid(101), 1000);
      rows.addRefusal(
        {
          paymentId: 'p3',
          reason: 'INSUFFICIENT_FUNDS',
          debtorAccountId: 'a',
          creditorAccountId: 'c',
          amount: 7n,
          currency: 'EUR',
        },
        3000,
      );
      rows.addOutcome('p3', 'FAILED', 'INSUFFICIENT_FUNDS', uuid(103), 3000);
    });
    // A later chunk meets the same payments again, written differently (a platform fault the
    // replay must not double): another entry id for p1 with other postings, a second refusal of p3.
    await chunk((rows) => {
      rows.addEntry(uuid(2), 'p1', 9000, pair('a', 'c', 9n));
      rows.addOutcome('p1', 'FAILED', 'INSUFFICIENT_FUNDS', uuid(201), 9000);
      rows.addRefusal(
        {
          paymentId: 'p3',
          reason: 'ACCOUNT_NOT_FOUND',
          debtorAccountId: 'a',
          creditorAccountId: 'c',
          amount: 7n,
          currency: 'EUR',
        },
        9000,
      );
      rows.addEntry(uuid(4), 'p4', 4000, pair('b', 'c', 1n));
    });
    // And the very same settlement once more (a re-sent copy: same entry id, same postings).
    await chunk((rows) => rows.addEntry(uuid(4), 'p4', 4000, pair('b', 'c', 1n)));
    expect(await finish(suspended)).toBe(true);

    expect(await ds.query(`SELECT id, payment_id FROM journal_entries ORDER BY payment_id`)).toEqual([
      { id: uuid(1), payment_id: 'p1' },
      { id: uuid(4), payment_id: 'p4' },
    ]);
    expect(await ds.query(`SELECT entry_id, seq, account_id, amount FROM postings ORDER BY entry_id, seq`)).toEqual([
      { entry_id: uuid(1), seq: 0, account_id: 'a', amount: '-5' },
      { entry_id: uuid(1), seq: 1, account_id: 'b', amount: '5' },
      { entry_id: uuid(4), seq: 0, account_id: 'b', amount: '-1' },
      { entry_id: uuid(4), seq: 1, account_id: 'c', amount: '1' },
    ]);
    expect(await ds.query(`SELECT payment_id, status, event_id FROM payment_outcomes ORDER BY 1`)).toEqual([
      { payment_id: 'p1', status: 'SETTLED', event_id: uuid(101) },
      { payment_id: 'p3', status: 'FAILED', event_id: uuid(103) },
    ]);
    expect(await ds.query(`SELECT payment_id, reason FROM refusals`)).toEqual([
      { payment_id: 'p3', reason: 'INSUFFICIENT_FUNDS' },
    ]);
  });
});
