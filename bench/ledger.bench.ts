/**
 * Ledger benchmark (issue 5): the live apply rate of the ledger service (a process, as deployed)
 * and the rebuild rate, each against a raw kafkajs `eachBatch` consumer reading the same topic in
 * the same run. `node dist/bench/ledger.bench.js [--payments N] [--partitions P] [--json out.json]`.
 * Progress goes to stderr; the JSON is {name, metrics, ratios}. Rates come from alternating rounds
 * (raw, rebuild, raw, rebuild, ...; `--rounds`, default 3), each from the moment its consumer
 * joined the group (so the first fetch counts) to its last record; the report gives the best and the median of each side and the per-round ratios.
 *
 * The data: payments between `--accounts` customer accounts, 40% of them paid from one of
 * `--funders` funding accounts (default 16). Records are keyed by the debtor, as payment-events is,
 * so a single funding account would put 40% of the payments (60% of the records, with their
 * outcomes) on one partition, which then replays alone long after the others finished: a real
 * platform has many debtors, and several funding accounts spread the keys over the partitions.
 * Both sides fetch `--fetch-mib` per partition (default 8, the rebuild's default; the rebuild gets
 * it as its --fetch-mib, the raw baseline through fetchSizes), so both get batches of one size.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PaymentEvent } from '@paystream/contracts';
import { SchemaRegistryCodec, eventHeaders, toKafkaHeaders } from '@paystream/messaging';
import { fromMinor } from '@paystream/money';
import { databaseUrl, ensureDatabase } from '@paystream/persistence';
import { loadConfig } from '@paystream/platform';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { median } from './lib/stats';

const ROOT = path.resolve(__dirname, '../..');
const log = (msg: string) => process.stderr.write(`[ledger.bench] ${msg}\n`);

const { values: args } = parseArgs({
  options: {
    payments: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '4' },
    accounts: { type: 'string', default: '50' },
    funders: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    /** Fetch size per partition for both the rebuild (its --fetch-mib) and the raw baseline. */
    'fetch-mib': { type: 'string', default: '8' },
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
    /** Leave the topic and databases for profiling (prints the environment to reuse). */
    keep: { type: 'boolean', default: false },
  },
});
const PAYMENTS = args.quick ? 2000 : Number(args.payments);
const PARTITIONS = Number(args.partitions);
const ACCOUNTS = Number(args.accounts);
const FUNDERS = Number(args.funders);
const FETCH_MIB = Number(args['fetch-mib']);
const SAMPLES = args.quick ? 1 : Number(args.rounds);

const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const env = {
  ...process.env,
  DATABASE_NAME: `paystream_bench_ledger_${stamp}`,
  LEDGER_PAYMENT_EVENTS_TOPIC: `bench-ledger-payments-${stamp}`,
  LEDGER_RESULTS_TOPIC: `bench-ledger-results-${stamp}`,
  LEDGER_CONSUMER_GROUP: `bench-ledger-${stamp}`,
  LEDGER_PARTITIONS_CONCURRENTLY: String(PARTITIONS),
  PORT: String(3950 + Math.floor(Math.random() * 40)),
  LOG_LEVEL: 'warn',
};
// The shared variables only: the bench talks to the ledger through its process and its CLI.
const config = loadConfig('ledger', 3001, {}, env);
const topic = env.LEDGER_PAYMENT_EVENTS_TOPIC;
const kafka = new Kafka({ clientId: 'ledger-bench', brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const base = `http://127.0.0.1:${config.PORT}`;

async function sql<T>(text: string, params: unknown[] = [], database = config.DATABASE_NAME): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl(config.DATABASE_URL, database) });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startLedger() {
  const nodeArgs = process.env.BENCH_LEDGER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/apps/ledger/src/main.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    if (args.keep) process.stderr.write(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async ready() {
      await until('the ledger ready', async () => {
        if (child.exitCode !== null) throw new Error(`ledger exited: ${stderr}`);
        return fetch(`${base}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
      });
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function produce(events: PaymentEvent[], codec: SchemaRegistryCodec): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 1000) {
      const chunk = events.slice(i, i + 1000);
      const values = await Promise.all(chunk.map((e) => codec.encode(topic, e)));
      await producer.send({
        topic,
        acks: -1,
        messages: chunk.map((e, j) => ({
          key: e.data.debtorAccountId,
          value: values[j],
          headers: toKafkaHeaders(eventHeaders(e)),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

function paymentEvents(): PaymentEvent[] {
  const events: PaymentEvent[] = [];
  const t0 = Date.now() - PAYMENTS * 10;
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < PAYMENTS; i++) {
    const debtorAccountId =
      random() < 0.4 ? `fund-${Math.floor(random() * FUNDERS)}` : `acct-${Math.floor(random() * ACCOUNTS)}`;
    let creditorAccountId = `acct-${Math.floor(random() * ACCOUNTS)}`;
    if (creditorAccountId === debtorAccountId) creditorAccountId = 'acct-sink';
    const terms = {
      debtorAccountId,
      creditorAccountId,
      amount: fromMinor(BigInt(100 + (i % 5000)), 'EUR'),
      currency: 'EUR',
    };
    const envelope = { paymentId: `bench-${stamp}-${i}`, correlationId: `c-${i}` };
    const at = (k: number) => new Date(t0 + i * 10 + k).toISOString();
    events.push(
      {
        ...envelope,
        eventId: uuidv7(),
        type: 'payment.initiated',
        occurredAt: at(0),
        version: 1,
        data: { ...terms, reference: null, metadata: null },
      },
      {
        ...envelope,
        eventId: uuidv7(),
        type: 'payment.authorized',
        occurredAt: at(1),
        version: 2,
        data: { ...terms, riskScore: 1, ruleVersion: 1 },
      },
    );
  }
  return events;
}

/** The payment service's part: settle what the ledger posted, fail what it refused. */
async function outcomeEvents(): Promise<PaymentEvent[]> {
  const posted = await sql<{
    payment_id: string;
    id: string;
    posted_at: Date;
    postings: { account_id: string; amount: string }[];
  }>(
    `SELECT e.payment_id, e.id, e.posted_at,
            json_agg(json_build_object('account_id', p.account_id, 'amount', p.amount::text) ORDER BY p.seq) AS postings
       FROM journal_entries e JOIN postings p ON p.entry_id = e.id GROUP BY e.id`,
  );
  const refused = await sql<{
    payment_id: string;
    reason: string;
    debtor_account_id: string;
    creditor_account_id: string;
    amount: string;
    refused_at: Date;
  }>(`SELECT payment_id, reason, debtor_account_id, creditor_account_id, amount::text, refused_at FROM refusals`);
  const envelope = (paymentId: string) => ({
    paymentId,
    eventId: uuidv7(),
    occurredAt: new Date().toISOString(),
    correlationId: `c-${paymentId}`,
    version: 3,
  });
  return [
    ...posted.map((e): PaymentEvent => {
      const postings = e.postings.map((p) => ({
        accountId: p.account_id,
        amount: fromMinor(BigInt(p.amount), 'EUR'),
        currency: 'EUR',
      }));
      return {
        ...envelope(e.payment_id),
        type: 'payment.settled',
        data: {
          debtorAccountId: postings[0].accountId,
          creditorAccountId: postings[1].accountId,
          amount: postings[1].amount,
          currency: 'EUR',
          journalEntryId: e.id,
          postings,
          postedAt: e.posted_at.toISOString(),
        },
      };
    }),
    ...refused.map((r): PaymentEvent => ({
      ...envelope(r.payment_id),
      type: 'payment.failed',
      data: {
        debtorAccountId: r.debtor_account_id,
        creditorAccountId: r.creditor_account_id,
        amount: fromMinor(BigInt(r.amount), 'EUR'),
        currency: 'EUR',
        reason: r.reason,
        refusedAt: r.refused_at.toISOString(),
      },
    })),
  ];
}

async function count(table: string): Promise<number> {
  const [r] = await sql<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
  return Number(r.n);
}

type RawDecoder = 'kafkajs' | 'paystream';
interface RawResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/**
 * The baseline, a process of its own (bench/ledger-raw-consume.ts): a plain kafkajs eachBatch
 * consumer of the same topic, no database, with kafkajs' own record decoder, or with the runtime's
 * (`paystream`) to show how much of the gap that decoder closes. With `avro`, it also Avro-decodes
 * each record, to show where the gap between the raw rate and the rebuild goes.
 */
function rawConsume(total: number, round: string, decoder: RawDecoder, avro = false): Promise<RawResult> {
  return jsonChild<RawResult>('raw consumer', [
    path.join(ROOT, 'dist/bench/ledger-raw-consume.js'),
    ...['--topic', topic, '--brokers', config.KAFKA_BROKERS.join(','), '--events', String(total)],
    ...['--group', `bench-ledger-raw-${stamp}-${round}-${decoder}${avro ? '-avro' : ''}`],
    ...['--fetch-mib', String(FETCH_MIB), '--partitions', String(PARTITIONS), '--decoder', decoder],
    ...(avro ? ['--avro', config.SCHEMA_REGISTRY_URL] : []),
  ]);
}

/** A node script of this project as a child process whose last stdout line is its JSON result. */
function jsonChild<T>(what: string, args: string[], childEnv: NodeJS.ProcessEnv = process.env): Promise<T> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`${what} exited ${code} without a result: ${stdout}`));
      }
    }),
  );
}

interface RebuildResult {
  database: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  eventsPerSecondWithFinalize: number;
  finalizeSeconds: number;
  matches: boolean;
  rebuilt: { entries: number };
}

/** The rebuild CLI as an operator runs it; its progress bar goes to our stderr. */
function runRebuild(): Promise<RebuildResult> {
  const cli = path.join(ROOT, 'dist/apps/ledger/src/rebuild/rebuild.cli.js');
  return jsonChild<RebuildResult>('rebuild', [cli, '--json', '--fetch-mib', String(FETCH_MIB)], env);
}

function pick(source: Record<string, string | undefined>, keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((k) => [k, source[k]]));
}

async function cleanUp(admin: Admin, topics: string[], databases: string[]): Promise<void> {
  await admin.deleteTopics({ topics: [...topics, `${topic}.${env.LEDGER_CONSUMER_GROUP}.dlq`] }).catch(() => undefined);
  for (const db of databases) {
    if (!db.startsWith('paystream_bench_ledger_')) continue;
    await sql(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`, [], 'postgres').catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const admin = kafka.admin();
  await admin.connect();
  const created: string[] = [topic, env.LEDGER_RESULTS_TOPIC];
  const databases = [config.DATABASE_NAME];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: created.map((t) => ({ topic: t, numPartitions: PARTITIONS, replicationFactor: 1 })),
    });
    const codec = await SchemaRegistryCodec.create({ url: config.SCHEMA_REGISTRY_URL });
    await ensureDatabase(config.DATABASE_URL, config.DATABASE_NAME);

    log(
      `live ledger: ${PAYMENTS} payments (${PAYMENTS * 2} events) on ${PARTITIONS} partitions, ${ACCOUNTS} accounts, ${FUNDERS} funding accounts`,
    );
    const ledger = startLedger();
    await ledger.ready();
    const open = (body: object) =>
      fetch(`${base}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (let i = 0; i < FUNDERS; i++) await open({ id: `fund-${i}`, currency: 'EUR', allowOverdraft: true });
    await open({ id: 'acct-sink', currency: 'EUR' });
    for (let i = 0; i < ACCOUNTS; i++) await open({ id: `acct-${i}`, currency: 'EUR' });

    await produce(paymentEvents(), codec);
    const decided = async () => (await count('journal_entries')) + (await count('refusals'));
    let liveStart = 0;
    let lastReport = Date.now();
    await until('every payment decided', async () => {
      const n = await decided();
      if (n > 0 && !liveStart) liveStart = Date.now();
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        log(`live: ${n}/${PAYMENTS} decided`);
      }
      return n === PAYMENTS;
    });
    const liveSeconds = (Date.now() - liveStart) / 1000;
    const live = {
      payments: PAYMENTS,
      seconds: liveSeconds,
      paymentsPerSecond: Math.round(PAYMENTS / liveSeconds),
      eventsPerSecond: Math.round((PAYMENTS * 2) / liveSeconds),
      entries: await count('journal_entries'),
    };
    log(`live: ${live.paymentsPerSecond} payments/s (${live.eventsPerSecond} events/s)`);

    const outcomes = await outcomeEvents();
    await produce(outcomes, codec);
    await until('outcomes applied', async () => (await count('payment_outcomes')) === PAYMENTS);
    await ledger.stop();
    const totalEvents = PAYMENTS * 3;

    // Alternating samples, best of each: the host is shared, so one unlucky sample of either
    // side would distort the ratio.
    const raws: Awaited<ReturnType<typeof rawConsume>>[] = [];
    const rawsPaystreamDecoder: Awaited<ReturnType<typeof rawConsume>>[] = [];
    const rebuilds: RebuildResult[] = [];
    for (let round = 0; round < SAMPLES; round++) {
      log(`raw kafkajs eachBatch consumer over ${totalEvents} events (sample ${round + 1}/${SAMPLES})`);
      const r = await rawConsume(totalEvents, String(round), 'kafkajs');
      raws.push(r);
      log(`raw: ${r.eventsPerSecond} events/s`);
      const p = await rawConsume(totalEvents, String(round), 'paystream');
      rawsPaystreamDecoder.push(p);
      log(`raw with the runtime's record decoder: ${p.eventsPerSecond} events/s`);
      log(`rebuild (npm run ledger:rebuild, sample ${round + 1}/${SAMPLES})`);
      const b = await runRebuild();
      rebuilds.push(b);
      databases.push(b.database);
      log(
        `rebuild: ${b.eventsPerSecond} events/s (then ${b.finalizeSeconds.toFixed(2)} s to finalize: ${b.eventsPerSecondWithFinalize} events/s with it), checksums ${b.matches ? 'match' : 'DIFFER'}`,
      );
    }
    log('raw consumer with Avro decoding (same topic)');
    const rawDecode = await rawConsume(totalEvents, 'decode', 'kafkajs', true);
    log(`raw + decode: ${rawDecode.eventsPerSecond} events/s`);
    const rawMedian = Math.round(median(raws.map((r) => r.eventsPerSecond)));
    const rebuildMedian = Math.round(median(rebuilds.map((b) => b.eventsPerSecond)));
    const perRound = (rate: (b: RebuildResult) => number, baseline = raws) =>
      rebuilds.map((b, i) => Number((rate(b) / baseline[i].eventsPerSecond).toFixed(3)));
    const raw = raws.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a));
    const rebuild = rebuilds.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a));

    const report = {
      name: 'ledger',
      metrics: {
        payments: PAYMENTS,
        partitions: PARTITIONS,
        accounts: ACCOUNTS,
        fundingAccounts: FUNDERS,
        fetchMiBPerPartition: FETCH_MIB,
        liveApplyPaymentsPerSecond: live.paymentsPerSecond,
        liveApplyEventsPerSecond: live.eventsPerSecond,
        liveApplySeconds: live.seconds,
        rebuildEvents: rebuild.events,
        rebuildEventsPerSecond: rebuild.eventsPerSecond,
        rebuildMedianEventsPerSecond: rebuildMedian,
        rebuildSecondsIncludingGroupJoin: rebuild.seconds,
        rebuildFinalizeSeconds: rebuild.finalizeSeconds,
        rebuildChecksumMatches: rebuilds.every((b) => b.matches),
        rebuildSamplesEventsPerSecond: rebuilds.map((b) => b.eventsPerSecond),
        rebuildWithFinalizeSamplesEventsPerSecond: rebuilds.map((b) => b.eventsPerSecondWithFinalize),
        rawConsumeSamplesEventsPerSecond: raws.map((r) => r.eventsPerSecond),
        rawConsumePaystreamDecoderSamplesEventsPerSecond: rawsPaystreamDecoder.map((r) => r.eventsPerSecond),
        rebuildEntries: rebuild.rebuilt.entries,
        rawConsumeEventsPerSecond: raw.eventsPerSecond,
        rawConsumeMedianEventsPerSecond: rawMedian,
        rawConsumeEvents: raw.events,
        rawConsumeWithAvroDecodeEventsPerSecond: rawDecode.eventsPerSecond,
        // The host is shared: the 1-minute load average when the run started and when it ended.
        loadAverageAtStart: Number(loadAtStart.toFixed(2)),
        loadAverageAtEnd: Number(loadavg()[0].toFixed(2)),
      },
      ratios: {
        rebuildVsRawConsume: Number((rebuild.eventsPerSecond / raw.eventsPerSecond).toFixed(3)),
        rebuildVsRawConsumeMedians: Number((rebuildMedian / rawMedian).toFixed(3)),
        // Each rebuild sample against the raw sample taken just before it (same round): the replay
        // alone (joined → end offsets, as the raw window), and with the final step, which the
        // operator waits for too before the checksum.
        rebuildVsRawConsumePerRound: perRound((b) => b.eventsPerSecond),
        rebuildVsRawConsumePerRoundMedian: median(perRound((b) => b.eventsPerSecond)),
        rebuildWithFinalizeVsRawConsumePerRound: perRound((b) => b.eventsPerSecondWithFinalize),
        rebuildWithFinalizeVsRawConsumePerRoundMedian: median(perRound((b) => b.eventsPerSecondWithFinalize)),
        // Against a raw consumer that decodes records as the runtime does (libs/messaging README,
        // "Record decoder"): the part of the ratio that is not that decoder.
        rebuildVsRawConsumePaystreamDecoderPerRound: perRound((b) => b.eventsPerSecond, rawsPaystreamDecoder),
        rebuildVsRawConsumePaystreamDecoderPerRoundMedian: median(
          perRound((b) => b.eventsPerSecond, rawsPaystreamDecoder),
        ),
        rebuildVsRawConsumeWithAvroDecode: Number((rebuild.eventsPerSecond / rawDecode.eventsPerSecond).toFixed(3)),
        liveApplyVsRawConsume: Number((live.eventsPerSecond / raw.eventsPerSecond).toFixed(3)),
      },
      targets: {
        rebuildEventsPerSecond: { target: 20000, met: rebuild.eventsPerSecond >= 20000 },
        // The median of the per-round ratios: each round's raw sample is the nearest in time.
        rebuildVsRawConsume: { target: 0.5, met: median(perRound((b) => b.eventsPerSecond)) >= 0.5 },
        rebuildWithFinalizeVsRawConsume: {
          target: 0.5,
          met: median(perRound((b) => b.eventsPerSecondWithFinalize)) >= 0.5,
        },
      },
    };
    const text = JSON.stringify(report, null, 2);
    if (args.json) writeFileSync(args.json, text + '\n');
    process.stdout.write(text + '\n');
  } finally {
    if (args.keep)
      log(
        `kept for profiling: ${JSON.stringify(
          pick(
            env,
            Object.keys(env).filter((k) => /^(DATABASE|LEDGER)_/.test(k)),
          ),
        )}`,
      );
    else await cleanUp(admin, created, databases);
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
