import { Client } from 'pg';
import { databaseUrl } from '@paystream/persistence';
import type { LedgerConfig } from '../config';
import type { RebuildResult } from './rebuild';

export class SwapRefused extends Error {
  constructor(message: string) {
    super(`swap refused: ${message}`);
    this.name = 'SwapRefused';
  }
}

async function withClient<T>(config: LedgerConfig, database: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl(config.DATABASE_URL, database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * `--swap`: makes the rebuilt database the live one (README of apps/ledger: "Rebuild and swap").
 * Safe only when the rebuilt ledger is exactly the live one at the same position of the topic, so
 * it refuses unless: the checksums match; no one is connected to the live database (every ledger
 * instance is stopped); the live outbox has nothing left to publish; and the live group's stored
 * offsets equal the rebuild's end offsets (nothing arrived during the rebuild). The rebuilt
 * database then takes over the live group's offsets and the two databases are renamed; the old
 * live one is kept as `<name>_replaced_<timestamp>`. Returns that name.
 */
export async function swapIntoLive(config: LedgerConfig, result: RebuildResult): Promise<string> {
  if (!result.matches) throw new SwapRefused('the rebuilt checksum differs from the live one');
  const liveDb = config.DATABASE_NAME;
  const group = config.LEDGER_CONSUMER_GROUP;
  const liveOffsets = await withClient(config, liveDb, async (c) => {
    const pending = await c.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM messaging_outbox WHERE sent_at IS NULL AND failed_at IS NULL`,
    );
    if (pending.rows[0].n !== '0')
      throw new SwapRefused(`the live outbox still has ${pending.rows[0].n} unsent events`);
    const offsets = await c.query<{ partition: number; next_offset: string }>(
      `SELECT partition, next_offset::text FROM messaging_consumer_offsets WHERE group_id = $1 AND topic = $2`,
      [group, result.topic],
    );
    return Object.fromEntries(offsets.rows.map((r) => [r.partition, r.next_offset]));
  });
  const same =
    Object.keys(liveOffsets).length === Object.keys(result.endOffsets).length &&
    Object.entries(result.endOffsets).every(([p, o]) => liveOffsets[Number(p)] === o);
  if (!same) {
    throw new SwapRefused(
      `the live group is at ${JSON.stringify(liveOffsets)}, the rebuild at ${JSON.stringify(result.endOffsets)}; ` +
        'let the live ledger catch up, stop it and the producers, then rebuild again',
    );
  }
  await withClient(config, result.database, async (c) => {
    await c.query(
      `INSERT INTO messaging_consumer_offsets (group_id, topic, partition, next_offset)
       SELECT $1, topic, partition, next_offset FROM messaging_consumer_offsets WHERE group_id = $2 AND topic = $3`,
      [group, result.group, result.topic],
    );
  });
  const replaced = `${liveDb}_replaced_${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`.slice(0, 63);
  await withClient(config, 'postgres', async (c) => {
    const others = await c.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()`,
      [[liveDb, result.database]],
    );
    if (others.rows[0].n !== '0') {
      throw new SwapRefused(
        `${others.rows[0].n} sessions are connected to ${liveDb} or ${result.database}; stop the ledger`,
      );
    }
    await c.query(`ALTER DATABASE "${liveDb}" RENAME TO "${replaced}"`);
    await c.query(`ALTER DATABASE "${result.database}" RENAME TO "${liveDb}"`);
  });
  return replaced;
}
