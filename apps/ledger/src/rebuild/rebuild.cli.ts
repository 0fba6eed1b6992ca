import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@paystream/platform';
import { LedgerConfig, ledgerConfigShape } from '../config';
import { rebuildLedger } from './rebuild';
import { swapIntoLive } from './swap';

const USAGE = `npm run ledger:rebuild -- [--as-of <ISO time>] [--swap] [--json] [--fetch-mib <n>] [--members <n>]

Replays payment-events from offset 0 into a fresh database <DATABASE_NAME>_rebuild_<timestamp>,
prints the rebuilt and the live checksums and exits 0 only when they are equal.
  --as-of <time>  rebuild what was booked at or before <time>; compared with the live ledger as of it
  --swap          make the rebuilt database the live one (stop every ledger instance first)
  --json          print the result as one JSON line on stdout
  --fetch-mib <n> Kafka fetch size per partition in MiB (default 8; kafkajs' own default is 1)
  --members <n>   members of the replay group, each a worker thread with its share of the
                  partitions (default: one per core, at most one per partition with records)
Configuration: the ledger's environment variables (DATABASE_URL, DATABASE_NAME, KAFKA_BROKERS, ...).`;

async function run(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'as-of': { type: 'string' },
      swap: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      'fetch-mib': { type: 'string' },
      members: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  let asOf: Date | undefined;
  if (values['as-of'] !== undefined) {
    asOf = new Date(values['as-of']);
    if (Number.isNaN(asOf.getTime())) throw new UsageError(`--as-of "${values['as-of']}" is not a time`);
    if (values.swap) throw new UsageError('--swap replaces the live ledger with a complete one: not with --as-of');
  }
  let fetchBytesPerPartition: number | undefined;
  if (values['fetch-mib'] !== undefined) {
    const mib = Number(values['fetch-mib']);
    if (!Number.isInteger(mib) || mib < 1 || mib > 256)
      throw new UsageError(`--fetch-mib "${values['fetch-mib']}" must be a whole number of MiB from 1 to 256`);
    fetchBytesPerPartition = mib * 1024 * 1024;
  }
  let members: number | undefined;
  if (values.members !== undefined) {
    members = Number(values.members);
    if (!Number.isInteger(members) || members < 1 || members > 64)
      throw new UsageError(`--members "${values.members}" must be a whole number from 1 to 64`);
  }
  const config = loadConfig('ledger', 3001, ledgerConfigShape) as unknown as LedgerConfig;
  const result = await rebuildLedger({ config, asOf, fetchBytesPerPartition, members, progress: true });
  let replaced: string | undefined;
  if (values.swap && result.matches) replaced = await swapIntoLive(config, result);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...result, asOf: asOf?.toISOString(), replaced }) + '\n');
  } else {
    const out = (line: string) => process.stdout.write(line + '\n');
    out(`rebuilt database  ${result.database} (group ${result.group}, ${result.accountsCopied} account definitions)`);
    out(
      `events            ${result.events} in ${result.seconds.toFixed(1)} s, ${result.eventsPerSecond} events/s (${result.members} members)`,
    );
    out(
      `rebuilt checksum  ${result.rebuilt.checksum} (${result.rebuilt.entries} entries, ${result.rebuilt.postings} postings)`,
    );
    out(
      `live checksum     ${result.live.checksum} (${result.live.entries} entries, ${result.live.postings} postings)${asOf ? ` as of ${asOf.toISOString()}` : ''}`,
    );
    out(result.matches ? 'MATCH' : 'MISMATCH');
    if (replaced) out(`swapped: ${result.database} is now ${config.DATABASE_NAME}; the previous one is ${replaced}`);
  }
  return result.matches ? 0 : 1;
}

class UsageError extends Error {}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`rebuild failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(3);
  },
);
