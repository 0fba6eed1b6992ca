/**
 * Payment API benchmark (issue 4): POST /v1/payments accepted payments/s and latency p50/p99 at
 * concurrency 1, 16 and 64, against a bare Nest hello-world endpoint on the same adapter (Fastify)
 * and raw PostgreSQL INSERT+COMMIT/s, all in the same run on this machine.
 *
 * `node dist/bench/payment-api.bench.js [--json out.json] [--quick]`. Progress on stderr.
 *
 * The service runs as its own process (dist/apps/payment, as deployed) on a scratch database. Every
 * request has its own Idempotency-Key; concurrent requests are group-committed by the service
 * (apps/payment/README.md): per transaction, one statement claims the keys (advisory locks), looks
 * them up and writes payments + history + idempotency records, one appends the outbox rows
 * (schema-validated Avro encode), then one commit.
 *
 * Kafka: by default the service is pointed at a closed port. The API's work does not involve the
 * broker (outbox), and the shared topic `payment-events` is read by every other suite on this
 * broker, which must not receive tens of thousands of benchmark payments. The relay then retries
 * in the background. PAYMENT_BENCH_KAFKA=1 points the service at the real broker instead (relay
 * publishing and saga consumer running in the same process, as in production).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import {
  BENCH_BROKERS,
  BENCH_SERVER_URL,
  BenchTable,
  CpuMeter,
  HttpLoadResult,
  Progress,
  benchName,
  createBenchDatabase,
  freePort,
  helloWorldSeries,
  httpLoad,
  rawPgInsertCommit,
  round,
  runScenario,
} from './lib';

const ROOT = path.resolve(__dirname, '../..');
const CONCURRENCIES = [1, 16, 64];
const ACCOUNTS = 1000;
const TARGET = { paymentsPerSecond: 1500, p99Ms: 50 };
const WITH_KAFKA = process.env.PAYMENT_BENCH_KAFKA === '1';

/** CPU milliseconds per accepted payment from a CPU share (% of one core) over a run. */
function cpuMsPerPayment(cpuPercent: number, run: HttpLoadResult): number {
  return run.rps > 0 ? (cpuPercent * 10) / run.rps : NaN;
}

async function startPaymentService(database: string, progress: Progress) {
  const port = await freePort();
  const kafka = WITH_KAFKA ? BENCH_BROKERS.join(',') : `127.0.0.1:${await freePort()}`;
  // PAYMENT_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the service process.
  const nodeArgs = (process.env.PAYMENT_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/apps/payment/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DATABASE_URL: BENCH_SERVER_URL,
      DATABASE_NAME: database,
      DATABASE_POOL_SIZE: process.env.PAYMENT_BENCH_POOL_SIZE ?? '16',
      KAFKA_BROKERS: kafka,
      PAYMENT_SAGA_ENABLED: WITH_KAFKA ? 'true' : 'false',
      PAYMENT_CONSUMER_GROUP: benchName('payment_bench'),
      PAYMENT_CONSUMER_FROM_BEGINNING: 'false',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  // Live, not ready: readiness includes Kafka, which is deliberately unreachable by default.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`payment service exited: ${stderr}`);
    const live = await fetch(`${base}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (live) break;
    if (Date.now() > deadline) throw new Error(`payment service not live after 120 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  progress.log(`payment service pid ${child.pid} on ${base} (kafka ${kafka})`);
  return {
    base,
    pid: child.pid ?? 0,
    async stop() {
      const stopping = Date.now();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      progress.log(
        `payment service stopped in ${((Date.now() - stopping) / 1000).toFixed(2)} s ` +
          `(exit ${child.exitCode ?? child.signalCode})`,
      );
    },
  };
}

interface PostRun extends HttpLoadResult {
  connections: number;
  serverCpuPercent: number;
  /** CPU of the PostgreSQL backends serving the service's connections, in % of one core. */
  postgresCpuPercent: number;
}

/** The server processes of the service's connections (its pool and the relay's session). */
async function backendPids(url: string): Promise<number[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

async function postLoad(
  base: string,
  pid: number,
  dbUrl: string,
  connections: number,
  seconds: number,
  run: string,
): Promise<PostRun> {
  let i = 0;
  const nextRequest = () => {
    const n = i++;
    const debtor = n % ACCOUNTS;
    return {
      headers: { 'idempotency-key': `${run}-${connections}-${n}` },
      body: JSON.stringify({
        debtorAccountId: `bench-acct-${debtor}`,
        creditorAccountId: `bench-acct-${(debtor + 1) % ACCOUNTS}`,
        amount: `${(n % 900) + 1}.${String(n % 100).padStart(2, '0')}`,
        currency: 'EUR',
        reference: `bench ${n}`,
      }),
    };
  };
  const url = `${base}/v1/payments`;
  // The pool's connections persist across runs (warm-up opened them), so their backends can be metered.
  const backends = await backendPids(dbUrl);
  const cpu = new CpuMeter({ server: pid, ...Object.fromEntries(backends.map((b) => [`pg${b}`, b])) });
  const result = await httpLoad({ url, connections, durationSeconds: seconds, method: 'POST', nextRequest });
  const used = cpu.stop();
  const postgresCpuPercent = backends.reduce(
    (sum, b) => sum + (Number.isFinite(used[`pg${b}`]) ? used[`pg${b}`] : 0),
    0,
  );
  return { ...result, connections, serverCpuPercent: used.server, postgresCpuPercent };
}

async function countRows(url: string): Promise<{ payments: number; outbox: number; keys: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ payments: string; outbox: string; keys: string }>(
      `SELECT (SELECT count(*) FROM payments) AS payments, (SELECT count(*) FROM messaging_outbox) AS outbox,
              (SELECT count(*) FROM idempotency_keys) AS keys`,
    );
    return { payments: Number(rows[0].payments), outbox: Number(rows[0].outbox), keys: Number(rows[0].keys) };
  } finally {
    await client.end();
  }
}

runScenario('payment-api', async ({ quick, progress }) => {
  const seconds = quick ? 2 : 10;
  const run = benchName('bench');

  const posts: PostRun[] = [];
  const db = await createBenchDatabase('payment');
  try {
    const service = await progress.step('start the payment service', () => startPaymentService(db.name, progress));
    try {
      // Warm-up: JIT, pool connections, schema registry cache; not measured.
      const warmSeconds = quick ? 1 : 2;
      await progress.step(`warm-up POST for ${warmSeconds} s at concurrency 16`, () =>
        postLoad(service.base, service.pid, db.url, 16, warmSeconds, `${run}-warm`),
      );
      for (const c of CONCURRENCIES) {
        const r = await progress.step(`POST /v1/payments for ${seconds} s at concurrency ${c}`, () =>
          postLoad(service.base, service.pid, db.url, c, seconds, run),
        );
        progress.log(
          `  c${c}: ${round(r.rps, 0)} payments/s, p50 ${round(r.latencyMs.p50, 2)} ms, p99 ${round(r.latencyMs.p99, 2)} ms, ` +
            `non-2xx ${r.non2xx}, errors ${r.errors}, CPU: service ${round(r.serverCpuPercent, 0)} %, ` +
            `postgres ${round(r.postgresCpuPercent, 0)} %`,
        );
        posts.push(r);
      }
    } finally {
      await service.stop();
    }
    // Every accepted request is exactly one payment, one outbox row and one key (warm-up included).
    const rows = await countRows(db.url);
    const accepted = posts.reduce((sum, r) => sum + r.ok, 0);
    if (rows.payments < accepted || rows.outbox !== rows.payments || rows.keys !== rows.payments) {
      throw new Error(`accepted ${accepted} payments but stored ${JSON.stringify(rows)}`);
    }
    progress.log(`stored ${rows.payments} payments, ${rows.outbox} outbox rows, ${rows.keys} keys`);
  } finally {
    await db.drop();
  }

  const hello = await helloWorldSeries(CONCURRENCIES, seconds, progress);
  const pgDb = await createBenchDatabase('payment_pg');
  const commits: Awaited<ReturnType<typeof rawPgInsertCommit>>[] = [];
  try {
    for (const c of CONCURRENCIES) {
      commits.push(
        await progress.step(`raw pg INSERT+COMMIT for ${seconds} s at concurrency ${c}`, () =>
          rawPgInsertCommit(pgDb.url, seconds, c),
        ),
      );
    }
  } finally {
    await pgDb.drop();
  }

  const metrics: Record<string, number | string> = { kafka: WITH_KAFKA ? 'real broker' : 'unreachable (outbox only)' };
  const ratios: Record<string, number> = {};
  CONCURRENCIES.forEach((c, i) => {
    const p = posts[i];
    metrics[`post_payments_per_s_c${c}`] = round(p.rps, 0);
    metrics[`post_latency_p50_ms_c${c}`] = round(p.latencyMs.p50, 2);
    metrics[`post_latency_p99_ms_c${c}`] = round(p.latencyMs.p99, 2);
    metrics[`post_non2xx_c${c}`] = p.non2xx + p.errors + p.timeouts;
    metrics[`hello_world_rps_c${c}`] = round(hello[i].rps, 0);
    metrics[`pg_insert_commit_per_s_c${c}`] = round(commits[i].perSecond, 0);
    ratios[`post_vs_hello_world_c${c}`] = round(p.rps / hello[i].rps, 3);
    ratios[`post_vs_pg_insert_commit_c${c}`] = round(p.rps / commits[i].perSecond, 3);
  });
  const c64 = posts[CONCURRENCIES.indexOf(64)];
  // Machine-independent cost: CPU milliseconds per accepted payment, and what 2 idle cores would allow.
  const serviceMs = cpuMsPerPayment(c64.serverCpuPercent, c64);
  const postgresMs = cpuMsPerPayment(c64.postgresCpuPercent, c64);
  metrics.cpu_ms_per_payment_service_c64 = round(serviceMs, 2);
  metrics.cpu_ms_per_payment_postgres_c64 = round(postgresMs, 2);
  metrics.payments_per_s_bound_2_idle_cores = round(2000 / (serviceMs + postgresMs), 0);
  metrics.target_c64 = `>= ${TARGET.paymentsPerSecond}/s with p99 <= ${TARGET.p99Ms} ms`;
  metrics.target_c64_met = c64.rps >= TARGET.paymentsPerSecond && c64.latencyMs.p99 <= TARGET.p99Ms ? 'yes' : 'no';

  const tables: BenchTable[] = [
    {
      title: 'POST /v1/payments (payment service process, unique Idempotency-Key per request)',
      columns: [
        'connections',
        'payments/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'non-2xx/errors',
        'service CPU %',
        'postgres CPU %',
        'CPU ms/payment (service + postgres)',
      ],
      rows: posts.map((p) => [
        p.connections,
        round(p.rps, 0),
        round(p.latencyMs.p50, 2),
        round(p.latencyMs.p95, 2),
        round(p.latencyMs.p99, 2),
        p.non2xx + p.errors + p.timeouts,
        round(p.serverCpuPercent, 0),
        round(p.postgresCpuPercent, 0),
        `${round(cpuMsPerPayment(p.serverCpuPercent, p), 2)} + ${round(cpuMsPerPayment(p.postgresCpuPercent, p), 2)}`,
      ]),
    },
    {
      title: 'Baselines in the same run',
      columns: ['connections', 'hello-world req/s', 'hello p99 ms', 'pg INSERT+COMMIT/s', 'pg p99 ms'],
      rows: CONCURRENCIES.map((c, i) => [
        c,
        round(hello[i].rps, 0),
        round(hello[i].latencyMs.p99, 2),
        round(commits[i].perSecond, 0),
        round(commits[i].latencyMs.p99, 2),
      ]),
    },
  ];
  return {
    metrics,
    ratios,
    tables,
    notes: [
      'The load generator (autocannon) runs on the same 2-core machine as the service and PostgreSQL.',
      'payments_per_s_bound_2_idle_cores: 2 cores divided by the CPU one payment costs the service and its PostgreSQL ' +
        'backends (load generator, WAL writer and fsync not counted): an upper bound on an otherwise idle machine.',
      WITH_KAFKA
        ? 'Kafka reachable: the outbox relay and the saga consumer run in the service process during the load.'
        : 'Kafka unreachable on purpose (see the file header): measures the API and its outbox writes; the relay retries in the background.',
    ],
  };
});
