import { Sql, rows } from '../persistence/sql';

/** The ledger tables the replay fills in bulk. */
const BULK_TABLES = ['journal_entries', 'postings', 'payment_outcomes', 'refusals'];
/**
 * Tables whose primary key no replay statement relies on, dropped for the load and added back,
 * and so checked, at the end:
 * - postings: a posting is inserted only with the entry it belongs to, in the statement that
 *   inserted that entry (insertReplayed), so its key (entry, seq) cannot conflict during the load;
 * - journal_entries: the replay's ON CONFLICT names the entry's payment, the key a duplicate record
 *   (a re-sent copy, same payment) meets; the entry id is the one the settlement record names, and
 *   two payments naming one id (which never happens live: the id is derived from the payment)
 *   would fail the re-added key instead of being silently merged (measured: the chunk statements
 *   about 20% less PostgreSQL time without that random-order uuid index).
 */
const KEYS_CHECKED_AT_THE_END = ['postings', 'journal_entries'];

/**
 * Bulk-load practice for the replay: foreign keys and secondary (non-unique) indexes of the
 * ledger tables are dropped before the load and re-created at the end from their own catalog
 * definitions (so they can never drift from the migrations). A foreign key then checks the whole
 * table in one join instead of two lookups per posting row, and an index is built once instead of
 * being maintained row by row. The unique constraints the replay's ON CONFLICT relies on stay
 * (an entry's, outcome's and refusal's payment); the primary keys of KEYS_CHECKED_AT_THE_END go.
 * (UNLOGGED tables during the load were tried and dropped: with synchronous_commit off the load
 * was no faster, and making the tables LOGGED again rewrote them: 0.7-0.9 s for 60,000 events.)
 * Returns the statements that restore what was dropped.
 */
/** The constraints of one kind ('f' foreign key, 'p' primary key) of these tables, with their definitions. */
function constraints(sql: Sql, kind: 'f' | 'p', tables: readonly string[]) {
  return rows<{ tbl: string; name: string; def: string }>(
    sql,
    `SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c
      WHERE c.contype = $1 AND c.conrelid::regclass::text = ANY($2::text[])`,
    [kind, [...tables]],
  );
}

export async function suspendSecondaryStructures(sql: Sql): Promise<string[]> {
  const foreignKeys = await constraints(sql, 'f', BULK_TABLES);
  const indexes = await rows<{ name: string; def: string }>(
    sql,
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
      WHERE i.indrelid::regclass::text = ANY($1::text[]) AND NOT i.indisunique AND NOT i.indisprimary`,
    [BULK_TABLES],
  );
  const keys = await constraints(sql, 'p', KEYS_CHECKED_AT_THE_END);
  for (const fk of foreignKeys) await sql.query(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT "${fk.name}"`);
  for (const index of indexes) await sql.query(`DROP INDEX ${index.name}`);
  for (const key of keys) await sql.query(`ALTER TABLE ${key.tbl} DROP CONSTRAINT "${key.name}"`);
  return [
    ...keys.map((k) => `ALTER TABLE ${k.tbl} ADD CONSTRAINT "${k.name}" ${k.def}`),
    ...indexes.map((i) => i.def),
    ...foreignKeys.map((fk) => `ALTER TABLE ${fk.tbl} ADD CONSTRAINT "${fk.name}" ${fk.def}`),
  ];
}

export async function restoreSecondaryStructures(sql: Sql, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.query(statement);
}
