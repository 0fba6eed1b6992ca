import type { EntityManager } from 'typeorm';
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
  const indexes = await rows<{ name: string; def: string }>(
    sql,
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
      WHERE i.indrelid::regclass::text = ANY($1::text[]) AND NOT i.indisunique AND NOT i.indisprimary`,
    [BULK_TABLES],
  );
  const keys = [...(await constraints(sql, 'p', BULK_TABLES)), ...(await constraints(sql, 'u', BULK_TABLES))];
  for (const fk of foreignKeys) await sql.query(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT "${fk.name}"`);
  for (const index of indexes) await sql.query(`DROP INDEX ${index.name}`);
  for (const key of keys) await sql.query(`ALTER TABLE ${key.tbl} DROP CONSTRAINT "${key.name}"`);
  return {
    keys: keys.map((k) => `ALTER TABLE ${k.tbl} ADD CONSTRAINT "${k.name}" ${k.def}`),
    rest: [
      ...indexes.map((i) => i.def),
      ...foreignKeys.map((fk) => `ALTER TABLE ${fk.tbl} ADD CONSTRAINT "${fk.name}" ${fk.def}`),
    ],
  };
}

/** What suspendSecondaryStructures dropped, as the statements that add it back. */
export interface SuspendedStructures {
  /** Primary keys and unique constraints: added back first. */
  keys: string[];
  /** Secondary indexes, then foreign keys (which need the keys they reference). */
  rest: string[];
}

const UNIQUE_VIOLATION = '23505';

/**
 * Adds the keys back, inside the caller's transaction. A key that meets a duplicate (a payment
 * the replay met twice) fails that first try, which is rolled back to a savepoint; `keepFirst`
 * then leaves one row per key and the keys are added again. Without duplicates, the usual case,
 * nothing is searched for them: building the keys is the check. Returns whether there were any.
 * The first try goes to the driver directly: its expected failure is not one for the error log.
 */
export async function restoreKeys(
  manager: EntityManager,
  suspended: SuspendedStructures,
  keepFirst: (sql: Sql) => Promise<unknown>,
): Promise<boolean> {
  const client = (manager.queryRunner as unknown as { databaseConnection: { query(text: string): Promise<unknown> } })
    .databaseConnection;
  await client.query('SAVEPOINT replay_keys');
  try {
    for (const statement of suspended.keys) await client.query(statement);
    await client.query('RELEASE SAVEPOINT replay_keys');
    return false;
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    await client.query('ROLLBACK TO SAVEPOINT replay_keys');
  }
  await keepFirst(manager);
  for (const statement of suspended.keys) await manager.query(statement);
  return true;
}

export async function restoreSecondaryStructures(sql: Sql, suspended: SuspendedStructures): Promise<void> {
  for (const statement of suspended.rest) await sql.query(statement);
}
