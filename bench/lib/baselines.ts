import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { startChildServer } from './child-server';
import { CpuMeter } from './cpu';
import { HttpLoadResult, httpLoad } from './http-load';
import { benchName, benchPgClient } from './infra';
import type { Progress } from './progress';
import { Summary, perSecond, summarize } from './stats';

/**
 * The same-run baselines every scenario compares itself with (issue 8): what the raw clients and
 * a bare framework do on this machine right now, with nothing of Paystream in between.
 */

export interface Rate {
  count: number;
  seconds: number;
  perSecond: number;
}

/** A value the size and shape of a payment event (~350 bytes of JSON). */
export function samplePayload(i: number): string {
  return JSON.stringify({
    eventId: `0193a0b2-7c1d-7e4f-8a9b-${String(i).padStart(12, '0')}`,
    type: 'payment.initiated',
    occurredAt: '2026-11-25T12:00:00.000Z',
    paymentId: `0193a0b2-7c1d-7e4f-9a9b-${String(i).padStart(12, '0')}`,
    correlationId: `bench-${i}`,
    version: 1,
    debtorAccountId: `acct-${i % 1000}`,
    creditorAccountId: `acct-${(i + 1) % 1000}`,
    amount: '125.50',
    currency: 'EUR',
    reference: 'invoice 2026-11-0001',
  });
}

export interface ProduceOptions {
  /** Messages per send() call. */
  batchSize?: number;
  /** send() calls in flight at once (the idempotent producer still serialises them per broker). */
  concurrency?: number;
}

export interface BenchMessage {
  key: string;
  value: string;
}

/** Messages `start`..`start+count-1`, keyed over 1000 accounts. */
export function benchMessages(start: number, count: number): BenchMessage[] {
  return Array.from({ length: count }, (_, j) => ({
    key: `acct-${(start + j) % 1000}`,
    value: samplePayload(start + j),
  }));
}

/**
 * `n` messages in awaited `send` calls of `batchSize`, `concurrency` of them in flight: the produce
 * shape of the baseline, also used for the other clients of the client comparison.
 */
export async function produceInBatches(
  n: number,
  send: (messages: BenchMessage[]) => Promise<unknown>,
  options: ProduceOptions = {},
): Promise<Rate> {
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 4;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const start = next;
      const count = Math.min(batchSize, n - start);
      next += count;
      await send(benchMessages(start, count));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - t0;
  return { count: n, seconds: ms / 1000, perSecond: perSecond(n, ms) };
}

/** kafkajs, idempotent, acks=all, batched: messages/s for `n` messages keyed over 1000 accounts. */
export async function rawProduce(kafka: Kafka, topic: string, n: number, options: ProduceOptions = {}): Promise<Rate> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    return await produceInBatches(n, (messages) => producer.send({ topic, acks: -1, messages }), options);
  } finally {
    await producer.disconnect();
  }
}

/** How many messages `topic` holds (high minus low watermark over its partitions). */
export async function topicMessageCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface ConsumeRate extends Rate {
  /** From run() to the first batch: group join and first fetch, not part of the rate. */
  startupSeconds: number;
}

/**
 * kafkajs `eachBatch` with a fresh group from the beginning of `topic` until `n` messages arrived;
 * the rate runs from the first batch to the n-th message.
 */
export async function rawConsume(kafka: Kafka, topic: string, n: number, timeoutMs = 120_000): Promise<ConsumeRate> {
  const consumer = kafka.consumer({ groupId: benchName('bench-raw-consume'), allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let count = 0;
    let bytes = 0;
    let first = 0;
    const t0 = performance.now();
    const finished = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${count} of ${n} in ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            if (!first) first = performance.now();
            for (const m of batch.messages) bytes += m.value?.length ?? 0;
            count += batch.messages.length;
            if (count >= n) {
              clearTimeout(timer);
              resolve(performance.now());
            }
            await Promise.resolve();
          },
        })
        .catch(reject);
    });
    const last = await finished;
    if (bytes === 0) throw new Error('consumed messages without values');
    return {
      count,
      seconds: (last - first) / 1000,
      perSecond: perSecond(count, last - first),
      startupSeconds: (first - t0) / 1000,
    };
  } finally {
    await consumer.disconnect();
  }
}

export interface CommitRate extends Rate {
  concurrency: number;
  latencyMs: Summary;
}

async function withTable<T>(url: string, fn: (table: string, admin: Client) => Promise<T>): Promise<T> {
  const table = benchName('bench_rows');
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(
      `CREATE TABLE ${table} (id BIGSERIAL PRIMARY KEY, amount BIGINT NOT NULL, payload JSONB NOT NULL,
         created_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    return await fn(table, admin);
  } finally {
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.end();
  }
}

/**
 * One-row INSERTs, each its own transaction (so each one a durable COMMIT with the server's
 * synchronous_commit), from `concurrency` connections for `seconds`: commits/s.
 */
export async function rawPgInsertCommit(url: string, seconds: number, concurrency: number): Promise<CommitRate> {
  return withTable(url, async (table) => {
    const clients = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const c = benchPgClient(url, 'raw pg insert+commit');
        await c.connect();
        return c;
      }),
    );
    try {
      const latencies: number[] = [];
      const t0 = performance.now();
      const deadline = t0 + seconds * 1000;
      let i = 0;
      await Promise.all(
        clients.map(async (c) => {
          while (performance.now() < deadline) {
            const n = i++;
            const t = performance.now();
            await c.query(`INSERT INTO ${table} (amount, payload) VALUES ($1, $2)`, [12550 + n, samplePayload(n)]);
            latencies.push(performance.now() - t);
          }
        }),
      );
      const ms = performance.now() - t0;
      return {
        count: latencies.length,
        seconds: ms / 1000,
        perSecond: perSecond(latencies.length, ms),
        concurrency,
        latencyMs: summarize(latencies),
      };
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });
}

/** `rows` rows in multi-row INSERTs of `batchSize` (one transaction each) on one connection: rows/s. */
export async function pgBatchInsert(url: string, rows: number, batchSize = 1000): Promise<Rate> {
  return withTable(url, async (table, client) => {
    const t0 = performance.now();
    for (let start = 0; start < rows; start += batchSize) {
      const count = Math.min(batchSize, rows - start);
      const amounts = Array.from({ length: count }, (_, j) => String(12550 + start + j));
      const payloads = Array.from({ length: count }, (_, j) => samplePayload(start + j));
      await client.query(`INSERT INTO ${table} (amount, payload) SELECT * FROM unnest($1::bigint[], $2::jsonb[])`, [
        amounts,
        payloads,
      ]);
    }
    const ms = performance.now() - t0;
    const { rows: counted } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    if (Number(counted[0].n) !== rows) throw new Error(`inserted ${counted[0].n} rows, expected ${rows}`);
    return { count: rows, seconds: ms / 1000, perSecond: perSecond(rows, ms) };
  });
}

export interface HelloWorldResult extends HttpLoadResult {
  connections: number;
  serverCpuPercent: number;
}

/** A bare Nest + Fastify GET endpoint in its own process under `connections` concurrent clients: requests/s. */
export async function helloWorld(connections: number, seconds: number): Promise<HelloWorldResult> {
  const [result] = await helloWorldSeries([connections], seconds);
  return result;
}

/**
 * helloWorld at each of `connections` in turn, on one server process started and warmed up (JIT,
 * at the first concurrency) once: a process start and a warm-up per figure only added seconds.
 * With `progress`, each run is a step named `Nest hello-world for <s> s at concurrency <c>`.
 */
export async function helloWorldSeries(
  connections: number[],
  seconds: number,
  progress?: Progress,
): Promise<HelloWorldResult[]> {
  const server = await startChildServer(path.join(__dirname, 'hello-world.server.js'));
  try {
    const url = `http://127.0.0.1:${server.port}/hello`;
    // Warm-up outside the measurement.
    await httpLoad({ url, connections: connections[0] ?? 1, durationSeconds: 1 });
    const results: HelloWorldResult[] = [];
    for (const c of connections) {
      const run = async () => {
        const cpu = new CpuMeter({ server: server.pid });
        const result = await httpLoad({ url, connections: c, durationSeconds: seconds });
        const serverCpuPercent = cpu.stop().server;
        if (result.ok === 0) throw new Error(`hello world answered no request with 2xx (${result.errors} errors)`);
        return { ...result, connections: c, serverCpuPercent };
      };
      const what = `Nest hello-world for ${seconds} s at concurrency ${c}`;
      results.push(progress ? await progress.step(what, run) : await run());
    }
    return results;
  } finally {
    await server.stop();
  }
}
