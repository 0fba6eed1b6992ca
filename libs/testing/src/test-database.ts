import { Client } from 'pg';

export const TEST_SERVER_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function urlOf(database: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = '/' + database;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  /** URL of the server (what services take as DATABASE_URL, with DATABASE_NAME = name). */
  serverUrl: string;
  /** URL of this database. */
  url: string;
  drop(): Promise<void>;
}

/** Destructive helpers refuse any database whose name does not mark it as a test one. */
export function assertTestDatabase(name: string): void {
  if (!/^paystream_test_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to touch non-test database "${name}"`);
}

async function onServer<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: urlOf('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database `paystream_test_<prefix>_<random>`, dropped by `drop()`. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `paystream_test_${prefix.toLowerCase().replace(/[^a-z0-9]/g, '_')}_${Math.random().toString(36).slice(2, 10)}`;
  assertTestDatabase(name);
  await onServer((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    serverUrl: TEST_SERVER_URL,
    url: urlOf(name),
    drop: () => dropTestDatabase(name),
  };
}

export async function dropTestDatabase(name: string): Promise<void> {
  assertTestDatabase(name);
  await onServer((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
