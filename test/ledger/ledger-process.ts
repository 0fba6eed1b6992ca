import { spawn } from 'node:child_process';
import path from 'node:path';
import { ServiceProcess, TestDatabase, startService, uniqueName } from '@paystream/testing';
import { Client } from 'pg';

const ROOT = path.resolve(__dirname, '../..');

export interface LedgerSetup {
  db: TestDatabase;
  paymentsTopic: string;
  resultsTopic: string;
  group: string;
  port: number;
}

export function ledgerEnv(s: LedgerSetup): Record<string, string> {
  return {
    DATABASE_URL: s.db.serverUrl,
    DATABASE_NAME: s.db.name,
    LEDGER_PAYMENT_EVENTS_TOPIC: s.paymentsTopic,
    LEDGER_RESULTS_TOPIC: s.resultsTopic,
    LEDGER_CONSUMER_GROUP: s.group,
    KAFKA_CLIENT_ID: uniqueName('ledger-test'),
  };
}

export function startLedger(s: LedgerSetup, extra: Record<string, string> = {}): ServiceProcess {
  return startService('ledger', s.port, { ...ledgerEnv(s), ...extra });
}

export interface RebuildRun {
  code: number | null;
  stderr: string;
  result: {
    database: string;
    group: string;
    events: number;
    eventsPerSecond: number;
    /** Payments replayed from events without a booking time (written before schema v2). */
    untimedPayments: number;
    rebuilt: { checksum: string; entries: number; postings: number };
    live: { checksum: string; entries: number; postings: number };
    matches: boolean;
    /** Members of the replay group (worker threads). */
    members: number;
    /** Whether the replay met a payment twice and kept its first rows. */
    duplicatesRemoved: boolean;
    replaced?: string;
  };
}

/** `npm run ledger:rebuild -- --json` as a process, the way an operator runs it. */
export function runRebuildCli(s: LedgerSetup, args: string[] = []): Promise<RebuildRun> {
  const cli = path.join(ROOT, 'dist/apps/ledger/src/rebuild/rebuild.cli.js');
  const child = spawn(process.execPath, [cli, '--json', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...ledgerEnv(s) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ code, stderr, result: JSON.parse(line) as RebuildRun['result'] });
      } catch {
        reject(new Error(`rebuild printed no result (exit ${code}):\n${stdout}\n${stderr.slice(-3000)}`));
      }
    });
  });
}

export async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function count(url: string, table: string): Promise<number> {
  const [r] = await query<{ n: string }>(url, `SELECT count(*)::text AS n FROM ${table}`);
  return Number(r.n);
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
