import { Client } from 'pg';

/** `postgres://u@h:5432/anything` + `paystream_ledger` → the URL of that database on the same server. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = '/' + database;
  return url.toString();
}

/**
 * Creates the database when it does not exist. Several services (or instances) may race here at
 * first start; a duplicate_database (42P04) from the loser is the same outcome as success.
 */
export async function ensureDatabase(serverUrl: string, database: string): Promise<boolean> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`unsafe database name: ${database}`);
  const client = new Client({ connectionString: databaseUrl(serverUrl, 'postgres'), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${database}"`);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === '42P04') return false;
      throw err;
    }
  } finally {
    await client.end();
  }
}
