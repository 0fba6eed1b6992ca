/**
 * Risk benchmark (issue 6): decisions/s of the risk service (a process, as deployed) with Kafka
 * transactions ('kafka-transaction' mode: decisions and consumed offsets commit in one Kafka
 * transaction) against the same processing without them ('database' mode: decisions go through
 * the PostgreSQL outbox and its relay's idempotent producer), in the same run, on the same input.
 *
 * `node dist/bench/risk.bench.js [--json out.json] [--quick]`. Progress on stderr.
 *
 * Both runs read one pre-filled topic from its start with their own consumer group and database,
 * and are timed from their first decision to their last one as a read_committed reader of their
 * own output topic sees them (what the payment service would see), and, separately, until the
 * last decision row committed in PostgreSQL.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PaymentInitiated } from '@paystream/contracts';
import { FETCH_MAX_WAIT_MS, SchemaRegistryCodec } from '@paystream/messaging';
import { v7 as uuidv7 } from 'uuid';
import {
  benchKafka,
  benchName,
  benchPgClient,
  BENCH_BROKERS,
  BENCH_SERVER_URL,
  createBenchDatabase,
  createBenchTopic,
  round,
  runScenario,
} from './lib';
import type { Progress } from './lib';

const ROOT = path.resolve(__dirname, '../..');
const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL || 'http://127.0.0.1:8081/apis/ccompat/v7';
const PARTITIONS = 4;
const DEBTORS = 400;

type Mode = 'kafka-transaction' | 'database';

interface ModeResult {
  mode: Mode;
  decisions: number;
  /** First to last decision seen by a read_committed reader of the output topic. */
  kafkaSeconds: number;
  kafkaPerSecond: number;
  /** First to last decision row committed in PostgreSQL (polled). */
  pgSeconds: number;
  pgPerSecond: number;
  approvals: number;
}

function payment(i: number, t0: number): PaymentInitiated {
  const debtor = `bench-acct-${i % DEBTORS}`;
  return {
    eventId: uuidv7(),
    type: 'payment.initiated',
    // 50 ms apart: each debtor pays every 20 s, so the default velocity rules approve most payments.
    occurredAt: new Date(t0 + i * 50).toISOString(),
    paymentId: uuidv7(),
    correlationId: `bench-${i}`,
    version: 1,
    data: {
      debtorAccountId: debtor,
      creditorAccountId: 'bench-merchant',
      amount: `${(i % 900) + 1}.${String(i % 100).padStart(2, '0')}`,
      currency: 'EUR',
      reference: null,
      metadata: null,
    },
  };
}

async function fillInput(topic: string, n: number, codec: SchemaRegistryCodec, progress: Progress): Promise<void> {
  const producer = benchKafka('risk-bench-fill').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const t0 = Date.parse('2026-11-25T00:00:00.000Z');
    for (let start = 0; start < n; start += 1000) {
      const events = Array.from({ length: Math.min(1000, n - start) }, (_, j) => payment(start + j, t0));
      const messages = await Promise.all(
        events.map(async (e) => ({
          key: e.data.debtorAccountId,
          value: await codec.encode(topic, e),
          headers: { type: e.type, eventId: e.eventId },
        })),
      );
      await producer.send({ topic, acks: -1, messages });
    }
    progress.log(`input filled: ${n} payment.initiated on ${PARTITIONS} partitions`);
  } finally {
    await producer.disconnect();
  }
}

async function runMode(mode: Mode, input: string, n: number, progress: Progress): Promise<ModeResult> {
  const output = await createBenchTopic(`bench_risk_out_${mode.replace('-', '_')}`, PARTITIONS);
  const db = await createBenchDatabase(`risk_${mode === 'database' ? 'db' : 'tx'}`);
  const pg = benchPgClient(db.url, 'risk');
  // The runtime's fetch wait (not kafkajs' 5 s): disconnect waits for the fetch in flight.
  const reader = benchKafka('risk-bench-reader').consumer({
    groupId: benchName('risk_bench_reader'),
    readUncommitted: false,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
  });
  const port = 3960 + Math.floor(Math.random() * 30);
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/risk/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: BENCH_BROKERS.join(','),
      DATABASE_URL: BENCH_SERVER_URL,
      DATABASE_NAME: db.name,
      RISK_INPUT_TOPIC: input,
      RISK_OUTPUT_TOPIC: output.name,
      RISK_CONSUMER_GROUP: benchName(`risk_bench_${mode}`),
      RISK_CONSUMER_MODE: mode,
      RISK_PARTITIONS_CONCURRENTLY: String(PARTITIONS),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    let seen = 0;
    let firstSeen = 0;
    let lastSeen = 0;
    await reader.connect();
    await reader.subscribe({ topic: output.name, fromBeginning: true });
    await reader.run({
      eachBatch: async (payload) => {
        const now = performance.now();
        firstSeen ||= now;
        seen += payload.batch.messages.length;
        if (seen >= n && !lastSeen) lastSeen = now;
        payload.resolveOffset(payload.batch.lastOffset());
        await payload.heartbeat();
      },
    });
    await pg.connect();

    progress.log(`${mode}: risk process started (pid ${child.pid})`);
    let firstRow = 0;
    let lastRow = 0;
    const deadline = Date.now() + 20 * 60_000;
    while (!lastSeen || !lastRow) {
      if (child.exitCode !== null) throw new Error(`risk (${mode}) exited ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`risk (${mode}) did not finish: ${seen}/${n} seen\n${stderr}`);
      if (!lastRow) {
        const rows = await pg
          .query<{ n: string }>(`SELECT count(*)::text AS n FROM risk_decisions`)
          .then((r) => Number(r.rows[0].n))
          .catch(() => 0); // the schema may not exist yet while the process migrates
        const now = performance.now();
        if (rows > 0) firstRow ||= now;
        if (rows >= n) lastRow = now;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const approvals = await pg
      .query<{ n: string }>(`SELECT count(*)::text AS n FROM risk_decisions WHERE decision = 'APPROVE'`)
      .then((r) => Number(r.rows[0].n));
    const kafkaSeconds = (lastSeen - firstSeen) / 1000;
    const pgSeconds = (lastRow - firstRow) / 1000;
    const result: ModeResult = {
      mode,
      decisions: seen,
      kafkaSeconds: round(kafkaSeconds, 2),
      kafkaPerSecond: Math.round(n / kafkaSeconds),
      pgSeconds: round(pgSeconds, 2),
      pgPerSecond: Math.round(n / pgSeconds),
      approvals,
    };
    progress.log(
      `${mode}: ${seen} decisions read_committed in ${result.kafkaSeconds} s (${result.kafkaPerSecond}/s); ` +
        `PostgreSQL ${result.pgPerSecond}/s; ${approvals} approved`,
    );
    return result;
  } finally {
    const stopping = performance.now();
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    progress.log(
      `${mode}: risk process stopped in ${((performance.now() - stopping) / 1000).toFixed(2)} s ` +
        `(exit ${child.exitCode ?? child.signalCode})`,
    );
    await reader.disconnect().catch(() => undefined);
    await pg.end().catch(() => undefined);
    await db.drop().catch(() => undefined);
    await output.delete();
  }
}

/**
 * The cost of the Kafka transaction alone, without Paystream: a raw kafkajs consume-transform-
 * produce loop over the same input, chunks of 500, either in a transaction with sendOffsets or
 * with an idempotent send followed by an offset commit.
 */
async function rawConsumeProduce(
  input: string,
  n: number,
  transactional: boolean,
  progress: Progress,
): Promise<number> {
  const kafka = benchKafka('risk-bench-raw');
  const output = await createBenchTopic('bench_risk_raw_out', PARTITIONS);
  const group = benchName('risk_bench_raw');
  const consumer = kafka.consumer({ groupId: group, readUncommitted: false, maxWaitTimeInMs: FETCH_MAX_WAIT_MS });
  const producer = transactional
    ? kafka.producer({ transactionalId: benchName('risk-bench-raw-tx'), idempotent: true, maxInFlightRequests: 1 })
    : kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let done = 0;
  let first = 0;
  let last = 0;
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        first ||= performance.now();
        for (let i = 0; i < batch.messages.length; i += 500) {
          const chunk = batch.messages.slice(i, i + 500);
          const messages = chunk.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
          const offset = (BigInt(chunk[chunk.length - 1].offset) + 1n).toString();
          const offsets = [{ topic: batch.topic, partition: batch.partition, offset }];
          if (transactional) {
            const tx = await producer.transaction();
            try {
              await tx.send({ topic: output.name, acks: -1, messages });
              await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: batch.topic, partitions: offsets }] });
              await tx.commit();
            } catch (err) {
              await tx.abort().catch(() => undefined);
              throw err;
            }
          } else {
            await producer.send({ topic: output.name, acks: -1, messages });
            await consumer.commitOffsets(offsets);
          }
          payload.resolveOffset(chunk[chunk.length - 1].offset);
          done += chunk.length;
        }
        if (done >= n && !last) last = performance.now();
        await payload.heartbeat();
      },
    });
    const deadline = Date.now() + 10 * 60_000;
    while (!last) {
      if (Date.now() > deadline) throw new Error(`raw consume-produce stuck at ${done}/${n}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const rate = Math.round(n / ((last - first) / 1000));
    progress.log(`raw kafkajs consume-produce ${transactional ? 'with' : 'without'} transactions: ${rate} msgs/s`);
    return rate;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await output.delete();
  }
}

runScenario('risk', async ({ quick, progress }) => {
  const n = quick ? 800 : 20000;
  const input = await createBenchTopic('bench_risk_in', PARTITIONS);
  try {
    const codec = await SchemaRegistryCodec.create({ url: REGISTRY_URL });
    await progress.step('filling the input topic', () => fillInput(input.name, n, codec, progress));
    // Baseline first, then the transactional run, on the same input and the same machine state.
    const plain = await progress.step('database mode (no Kafka transactions)', () =>
      runMode('database', input.name, n, progress),
    );
    const tx = await progress.step('kafka-transaction mode', () =>
      runMode('kafka-transaction', input.name, n, progress),
    );
    const rawPlain = await rawConsumeProduce(input.name, n, false, progress);
    const rawTx = await rawConsumeProduce(input.name, n, true, progress);
    if (plain.approvals !== tx.approvals) {
      throw new Error(`the two modes decided differently: ${plain.approvals} vs ${tx.approvals} approvals`);
    }
    return {
      metrics: {
        payments: n,
        partitions: PARTITIONS,
        tx_decisions_per_s: tx.kafkaPerSecond,
        tx_seconds: tx.kafkaSeconds,
        tx_pg_decisions_per_s: tx.pgPerSecond,
        no_tx_decisions_per_s: plain.kafkaPerSecond,
        no_tx_seconds: plain.kafkaSeconds,
        no_tx_pg_decisions_per_s: plain.pgPerSecond,
        approvals: tx.approvals,
        raw_tx_msgs_per_s: rawTx,
        raw_no_tx_msgs_per_s: rawPlain,
      },
      ratios: {
        tx_vs_no_tx: round(tx.kafkaPerSecond / plain.kafkaPerSecond, 3),
        tx_pg_vs_no_tx_pg: round(tx.pgPerSecond / plain.pgPerSecond, 3),
        raw_tx_vs_no_tx: round(rawTx / rawPlain, 3),
      },
      notes: [
        'tx: kafka-transaction mode (decision + consumed offsets in one Kafka transaction, read_committed reader)',
        'no_tx: database mode (decision in the PostgreSQL outbox, published by the relay with an idempotent producer)',
        'decisions/s from the first to the last decision seen on the output topic; *_pg_* until the last row committed in PostgreSQL',
        'raw_*: kafkajs alone over the same input, chunks of 500: transaction + sendOffsets vs idempotent send + commitOffsets',
      ],
    };
  } finally {
    await input.delete();
  }
});
