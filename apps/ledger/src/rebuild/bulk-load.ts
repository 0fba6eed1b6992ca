import type { DataSource, EntityManager } from 'typeorm';
import { Sql, rows } from '../persistence/sql';

/** The ledger tables the replay fills in bulk. */
const BULK_TABLES = ['journal_entries', 'postings', 'payment_outcomes', 'refusals'];
/** The constraints of one kind ('f' foreign key, 'p' primary key, 'u' unique) of these tables, with their definitions. */
function constraints(sql: Sql, kind: 'f' | 'p' | 'u', tables: readonly string[]) {
  return rows<{ tbl: string; name: string; def: string }>(
    sql,
    `SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c
      WHERE c.contype = $1 AND c.conrelid::regclass::text = ANY($2::text[])`,
    [kind, [...tables]],
  );
}

/**
 * Bulk-load practice for the replay: foreign keys and secondary (non-unique) indexes of the
 * ledger tables are dropped before the load and re-created at the end from their own catalog
 * definitions (so they can never drift from the migrations). A foreign key then checks the whole
 * table in one join instead of two lookups per posting row, and an index is built once instead of
 * being maintained row by row. Their primary keys and unique constraints go too: the replay
 * appends rows without ON CONFLICT, and keepFirstPerPayment (replay-rows.ts) leaves one row per
 * key before the keys are added back, which then checks them (measured: a unique btree and ON
 * CONFLICT made an insert of 60,000 outcome rows cost 300 ms instead of 115; the keys built once
 * at the end, about 15 ms a table).
 * (UNLOGGED tables during the load were tried and dropped: with synchronous_commit off the load
 * was no faster, and making the tables LOGGED again rewrote them: 0.7-0.9 s for 60,000 events.)
 * Returns the statements that restore what was dropped.
 */
export async function suspendSecondaryStructures(sql: Sql): Promise<SuspendedStructures> {
  const foreignKeys = await constraints(sql, 'f', BULK_TABLES);
  const indexes = await rows<{ tbl: string; name: string; def: string }>(
    sql,
    `SELECT i.indrelid::regclass::text AS tbl, i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
      WHERE i.indrelid::regclass::text = ANY($1::text[]) AND NOT i.indisunique AND NOT i.indisprimary`,
    [BULK_TABLES],
  );
  const keys = [...(await constraints(sql, 'p', BULK_TABLES)), ...(await constraints(sql, 'u', BULK_TABLES))];
  for (const fk of foreignKeys) await sql.query(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT "${fk.name}"`);
  for (const index of indexes) await sql.query(`DROP INDEX ${index.name}`);
  for (const key of keys) await sql.query(`ALTER TABLE ${key.tbl} DROP CONSTRAINT "${key.name}"`);
  const tables = new Map(BULK_TABLES.map((t) => [t, { keys: [] as string[], indexes: [] as string[] }]));
  for (const k of keys) tables.get(k.tbl)?.keys.push(`ALTER TABLE ${k.tbl} ADD CONSTRAINT "${k.name}" ${k.def}`);
  for (const i of indexes) tables.get(i.tbl)?.indexes.push(i.def);
  return {
    tables: [...tables].map(([table, restore]) => ({ table, ...restore })),
    foreignKeys: foreignKeys.map((fk) => `ALTER TABLE ${fk.tbl} ADD CONSTRAINT "${fk.name}" ${fk.def}`),
  };
}

/** What suspendSecondaryStructures dropped, as the statements that add it back. */
export interface SuspendedStructures {
  /** Per table: its primary key and unique constraints, then its secondary indexes. */
  tables: Array<{ table: string; keys: string[]; indexes: string[] }>;
  /** Last: they need the keys they reference. */
  foreignKeys: string[];
}

const UNIQUE_VIOLATION = '23505';

/** A table whose keys met a duplicate: its transaction was rolled back. */
class DuplicateKeys extends Error {}

/**
 * Adds the keys and secondary indexes back, each table in its own transaction and all tables at
 * once (they lock only their own table; on two cores the largest, postings, sets the time).
 * A key that meets a duplicate (a payment the replay met twice) fails its table's transaction;
 * then `keepFirst` leaves one row per key, in one transaction that also adds back what failed.
 * Without duplicates, the usual case, nothing is searched for them: building the keys is the
 * check. Returns whether there were any. The statements go to the driver directly: an expected
 * duplicate is not one for the error log.
 */
export async function restoreKeysAndIndexes(
  dataSource: DataSource,
  suspended: SuspendedStructures,
  keepFirst: (sql: Sql) => Promise<unknown>,
): Promise<boolean> {
  const restore = async (client: Queryable, table: SuspendedStructures['tables'][number]) => {
    for (const statement of [...table.keys, ...table.indexes]) await client.query(statement);
  };
  const failed = (
    await Promise.all(
      suspended.tables.map((table) =>
        dataSource
          .transaction(async (m) => {
            try {
              await restore(driver(m), table);
            } catch (err) {
              if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) throw new DuplicateKeys(table.table);
              throw err;
            }
          })
          .then(
            () => undefined,
            (err: unknown) => {
              if (err instanceof DuplicateKeys) return table;
              throw err;
            },
          ),
      ),
    )
  ).filter((table) => table !== undefined);
  if (failed.length === 0) return false;
  await dataSource.transaction(async (m) => {
    await keepFirst(m);
    for (const table of failed) await restore(m, table);
  });
  return true;
}

export async function restoreForeignKeys(sql: Sql, suspended: SuspendedStructures): Promise<void> {
  for (const statement of suspended.foreignKeys) await sql.query(statement);
}

interface Queryable {
  query(text: string): Promise<unknown>;
}

const driver = (manager: EntityManager): Queryable =>
  (manager.queryRunner as unknown as { databaseConnection: Queryable }).databaseConnection;
