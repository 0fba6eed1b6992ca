import { createDataSource } from '@paystream/persistence';
import { TestDatabase, createTestDatabase } from '@paystream/testing';
import { DataSource, MigrationInterface } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { MessagingTables1764072000000 } from './1764072000000-messaging-tables';
import { messagingMigrations } from '.';

/** The dedupe table's move from (group_id TEXT, event_id TEXT) to (group_key INTEGER, event_id UUID). */
describe('NarrowDedupeKey1795620000000', () => {
  const databases: TestDatabase[] = [];
  const sources: DataSource[] = [];

  afterAll(async () => {
    for (const ds of sources) await ds.destroy().catch(() => undefined);
    for (const db of databases) await db.drop();
  });

  async function open(db: TestDatabase, migrations: Array<new () => MigrationInterface>): Promise<DataSource> {
    const ds = createDataSource({
      serverUrl: db.serverUrl,
      database: db.name,
      poolSize: 2,
      entities: [],
      migrations,
      applicationName: 'narrow-dedupe-key-test',
    });
    sources.push(ds);
    return ds.initialize();
  }

  /** A database at the first messaging migration, with dedupe rows written the old way. */
  async function oldDatabase(prefix: string, rows: Array<[string, string]>): Promise<TestDatabase> {
    const db = await createTestDatabase(prefix);
    databases.push(db);
    const ds = await open(db, [MessagingTables1764072000000]);
    await ds.runMigrations({ transaction: 'each' });
    await ds.query(
      `INSERT INTO messaging_processed_events (group_id, event_id, processed_at)
       SELECT g, e, '2026-01-02T03:04:05Z' FROM unnest($1::text[], $2::text[]) AS r(g, e)`,
      [rows.map((r) => r[0]), rows.map((r) => r[1])],
    );
    await ds.destroy();
    return db;
  }

  it('moves every dedupe row to its group key and UUID, keeps processed_at, and down restores the text table', async () => {
    const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
    const db = await oldDatabase('narrow_dedupe_move', [
      ['ledger', a],
      ['ledger', b],
      ['audit', a],
      // The same UUID in another spelling: one row after the move.
      ['audit', a.toUpperCase()],
      ['audit', c],
    ]);
    const ds = await open(db, messagingMigrations);
    expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual([
      'NarrowDedupeKey1795620000000',
    ]);
    const rows = await ds.query<Array<{ name: string; event_id: string; processed_at: Date }>>(
      `SELECT g.name, p.event_id::text AS event_id, p.processed_at
         FROM messaging_processed_events p JOIN messaging_groups g ON g.group_key = p.group_key
        ORDER BY 1, 2`,
    );
    expect(rows.map((r) => [r.name, r.event_id])).toEqual([
      ['audit', a],
      ['audit', c],
      ['ledger', a],
      ['ledger', b],
    ]);
    expect(new Set(rows.map((r) => r.processed_at.toISOString()))).toEqual(new Set(['2026-01-02T03:04:05.000Z']));
    const types = await ds.query<Array<{ column_name: string; data_type: string }>>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'messaging_processed_events' ORDER BY ordinal_position`,
    );
    expect(types).toEqual([
      { column_name: 'group_key', data_type: 'integer' },
      { column_name: 'event_id', data_type: 'uuid' },
      { column_name: 'processed_at', data_type: 'timestamp with time zone' },
    ]);

    await ds.undoLastMigration({ transaction: 'each' });
    const back = await ds.query<Array<{ group_id: string; event_id: string }>>(
      `SELECT group_id, event_id FROM messaging_processed_events ORDER BY 1, 2`,
    );
    expect(back).toEqual([
      { group_id: 'audit', event_id: a },
      { group_id: 'audit', event_id: c },
      { group_id: 'ledger', event_id: a },
      { group_id: 'ledger', event_id: b },
    ]);
    expect(await ds.query(`SELECT to_regclass('messaging_groups') AS t`)).toEqual([{ t: null }]);
  });

  it('refuses to run while a dedupe row holds an eventId that is not a UUID, and changes nothing', async () => {
    const db = await oldDatabase('narrow_dedupe_refuse', [
      ['ledger', uuidv7()],
      ['ledger', 'evt-1'],
    ]);
    const ds = await open(db, messagingMigrations);
    await expect(ds.runMigrations({ transaction: 'each' })).rejects.toThrow(
      /1 row\(s\) whose event_id is not a UUID \(e\.g\. group ledger, event_id evt-1\)/,
    );
    const rows = await ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM messaging_processed_events`);
    expect(rows).toEqual([{ n: 2 }]);
    expect(await ds.query(`SELECT to_regclass('messaging_groups') AS t`)).toEqual([{ t: null }]);
  });
});
