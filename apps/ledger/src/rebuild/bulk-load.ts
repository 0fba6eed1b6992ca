import { Sql, rows } from '../persistence/sql';

/** The ledger tables the replay fills in bulk. */
const LEDGER_TABLES = ['journal_entries', 'postings', 'payment_outcomes', 'refusals'];
/** The runtime's tables the replay writes to in its own database (dedupe rows, stored offsets). */
const RUNTIME_TABLES = ['messaging_processed_events', 'messaging_consumer_offsets'];
const LOADED_TABLES = [...LEDGER_TABLES, ...RUNTIME_TABLES];

/** What `suspendSecondaryStructures` took away, in the order `restoreSecondaryStructures` puts it back. */
export interface SuspendedStructures {
  unlogged: string[];
  indexes: string[];
  foreignKeys: string[];
}

/**
 * Bulk-load practice for the replay into a fresh database:
 * - foreign keys and secondary (non-unique) indexes of the ledger tables are dropped and
 *   re-created at the end from their own catalog definitions (so they can never drift from the
 *   migrations): a foreign key then checks the whole table in one join instead of two lookups per
 *   posting row, and an index is built once instead of being maintained row by row. Unique
 *   constraints stay: ON CONFLICT and the runtime's dedupe rely on them.
 * - the loaded tables are UNLOGGED while the replay runs: their rows skip the write-ahead log. A
 *   PostgreSQL crash would empty them, which costs nothing: a half-done rebuild is never resumed,
 *   it is thrown away and started again into a new database, and nothing reads it before the
 *   final checksum. `restoreSecondaryStructures` makes them LOGGED (crash-safe) again before that
 *   checksum, so what `--swap` hands over is an ordinary database.
 */
export async function suspendSecondaryStructures(sql: Sql): Promise<SuspendedStructures> {
  const foreignKeys = await rows<{ tbl: string; name: string; def: string }>(
    sql,
    `SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c
      WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY($1::text[])`,
    [LEDGER_TABLES],
  );
  const indexes = await rows<{ name: string; def: string }>(
    sql,
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
      WHERE i.indrelid::regclass::text = ANY($1::text[]) AND NOT i.indisunique AND NOT i.indisprimary`,
    [LEDGER_TABLES],
  );
  for (const fk of foreignKeys) await sql.query(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT "${fk.name}"`);
  for (const index of indexes) await sql.query(`DROP INDEX ${index.name}`);
  // After the foreign keys are gone: a logged table may not reference an unlogged one.
  for (const table of LOADED_TABLES) await sql.query(`ALTER TABLE ${table} SET UNLOGGED`);
  return {
    unlogged: LOADED_TABLES,
    indexes: indexes.map((i) => i.def),
    foreignKeys: foreignKeys.map((fk) => `ALTER TABLE ${fk.tbl} ADD CONSTRAINT "${fk.name}" ${fk.def}`),
  };
}

/**
 * Tables logged again first (rewriting them with their unique indexes only), then the secondary
 * indexes, then the foreign keys (one validating join each).
 */
export async function restoreSecondaryStructures(sql: Sql, suspended: SuspendedStructures): Promise<void> {
  for (const table of suspended.unlogged) await sql.query(`ALTER TABLE ${table} SET LOGGED`);
  for (const statement of [...suspended.indexes, ...suspended.foreignKeys]) await sql.query(statement);
}
