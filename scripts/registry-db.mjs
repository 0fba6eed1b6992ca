// Prepares the schema registry's PostgreSQL storage for infra/stack.sh: creates the database
// (default paystream_registry) on the server at DATABASE_URL if missing and prints the JDBC
// settings Apicurio needs, one `key=value` per line.
import pg from 'pg';

const server = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
const database = process.env.REGISTRY_DATABASE_NAME || 'paystream_registry';
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) {
  console.error(`REGISTRY_DATABASE_NAME: must be a lower-case SQL identifier (got "${database}")`);
  process.exit(2);
}
server.pathname = '/postgres';
const client = new pg.Client({ connectionString: server.toString(), connectionTimeoutMillis: 5000 });
try {
  await client.connect();
  const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (!found.rowCount) {
    await client.query(`CREATE DATABASE "${database}"`).catch((err) => {
      if (err.code !== '42P04') throw err;
    });
  }
} catch (err) {
  console.error(`PostgreSQL at DATABASE_URL is not reachable for the registry's storage: ${err.message}`);
  process.exit(1);
} finally {
  await client.end().catch(() => undefined);
}
console.log(`url=jdbc:postgresql://${server.hostname}:${server.port || 5432}/${database}`);
console.log(`username=${decodeURIComponent(server.username || 'postgres')}`);
console.log(`password=${decodeURIComponent(server.password || '')}`);
