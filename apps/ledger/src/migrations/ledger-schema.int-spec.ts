import { createDataSource } from '@paystream/persistence';
import { TestDatabase, createTestDatabase } from '@paystream/testing';
import { DataSource } from 'typeorm';
import { ledgerEntities } from '../persistence';
import { ledgerMigrations } from '.';

describe('ledger migrations', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('ledger_schema');
    ds = createDataSource({
      serverUrl: db.serverUrl,
      database: db.name,
      poolSize: 2,
      entities: ledgerEntities,
      migrations: ledgerMigrations,
      applicationName: 'ledger-schema-test',
    });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const tables = async () =>
    (
      await ds.query<{ tablename: string }[]>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations' ORDER BY 1`,
      )
    ).map((r) => r.tablename);

  it('creates the ledger tables, and down removes every one of them again', async () => {
    expect((await ds.runMigrations()).map((m) => m.name)).toEqual([
      'MessagingTables1764072000000',
      'LedgerSchema1795609596990',
      'NarrowDedupeKey1795620000000',
    ]);
    expect(await tables()).toEqual(
      expect.arrayContaining([
        'accounts',
        'journal_entries',
        'postings',
        'refusals',
        'payment_outcomes',
        'settlement_mismatches',
      ]),
    );
    await ds.undoLastMigration();
    await ds.undoLastMigration();
    await ds.undoLastMigration();
    expect(await tables()).toEqual([]);
    expect((await ds.runMigrations()).length).toBe(3);
  });

  it('refuses a second journal entry for the same payment', async () => {
    await ds.query(`INSERT INTO journal_entries (id, payment_id, posted_at) VALUES (gen_random_uuid(), 'p-1', now())`);
    await expect(
      ds.query(`INSERT INTO journal_entries (id, payment_id, posted_at) VALUES (gen_random_uuid(), 'p-1', now())`),
    ).rejects.toMatchObject({ driverError: { code: '23505', constraint: 'journal_entries_one_per_payment' } });
  });
});
