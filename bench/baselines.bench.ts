/**
 * Same-run baselines (issue 8): raw kafkajs produce and consume, raw PostgreSQL commits and
 * batched inserts, and a Nest hello-world endpoint, on this machine, in this run. The other
 * scenarios measure the stages of the platform and divide by these.
 *
 * `node dist/bench/baselines.bench.js [--quick] [--json out.json]`
 */
import {
  BenchTable,
  Progress,
  benchKafka,
  createBenchDatabase,
  createBenchTopic,
  helloWorldSeries,
  pgBatchInsert,
  rawConsume,
  rawPgInsertCommit,
  rawProduce,
  round,
  runScenario,
  topicMessageCount,
} from './lib';

async function kafkaBaselines(progress: Progress, messages: number) {
  const kafka = benchKafka('paystream-bench-baselines');
  const topic = await createBenchTopic('bench-baseline', 12, kafka);
  try {
    const produce = await progress.step(`raw produce of ${messages} messages (acks=all, idempotent)`, () =>
      rawProduce(kafka, topic.name, messages),
    );
    const written = await topicMessageCount(kafka, topic.name);
    if (written !== messages) throw new Error(`produced ${messages} messages but the topic holds ${written}`);
    const consume = await progress.step(`raw consume of ${messages} messages (eachBatch)`, () =>
      rawConsume(kafka, topic.name, messages),
    );
    if (consume.count !== messages) throw new Error(`consumed ${consume.count} of ${messages} messages`);
    return { produce, consume };
  } finally {
    await topic.delete();
  }
}

async function pgBaselines(progress: Progress, seconds: number, concurrencies: number[], rows: number) {
  const db = await createBenchDatabase('baselines');
  try {
    const commits = [];
    for (const c of concurrencies) {
      commits.push(
        await progress.step(`pg INSERT+COMMIT for ${seconds} s at concurrency ${c}`, () =>
          rawPgInsertCommit(db.url, seconds, c),
        ),
      );
    }
    const batch = await progress.step(`pg batched INSERT of ${rows} rows`, () => pgBatchInsert(db.url, rows, 1000));
    return { commits, batch };
  } finally {
    await db.drop();
  }
}

runScenario('baselines', async ({ quick, progress }) => {
  const size = quick
    ? { messages: 10_000, pgSeconds: 1, concurrencies: [1, 16], rows: 10_000, httpSeconds: 1, connections: [1, 50] }
    : {
        messages: 200_000,
        pgSeconds: 10,
        concurrencies: [1, 16, 64],
        rows: 200_000,
        httpSeconds: 10,
        connections: [1, 50, 200],
      };

  const { produce, consume } = await kafkaBaselines(progress, size.messages);
  const { commits, batch } = await pgBaselines(progress, size.pgSeconds, size.concurrencies, size.rows);
  const hello = await helloWorldSeries(size.connections, size.httpSeconds, progress);

  const bestCommits = commits.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const bestHello = hello.reduce((a, b) => (b.rps > a.rps ? b : a));
  const metrics: Record<string, number> = {
    kafka_produce_msgs_per_s: round(produce.perSecond, 0),
    kafka_consume_msgs_per_s: round(consume.perSecond, 0),
    kafka_consume_group_join_s: round(consume.startupSeconds, 2),
    kafka_messages: produce.count,
    pg_insert_commit_per_s: round(bestCommits.perSecond, 0),
    pg_insert_commit_best_concurrency: bestCommits.concurrency,
    pg_batch_insert_rows_per_s: round(batch.perSecond, 0),
    hello_world_rps: round(bestHello.rps, 0),
    hello_world_best_connections: bestHello.connections,
  };
  for (const c of commits) metrics[`pg_insert_commit_per_s_c${c.concurrency}`] = round(c.perSecond, 0);
  for (const h of hello) metrics[`hello_world_rps_c${h.connections}`] = round(h.rps, 0);

  const tables: BenchTable[] = [
    {
      title: 'PostgreSQL INSERT+COMMIT (one row per transaction)',
      columns: ['connections', 'commits/s', 'p50 ms', 'p95 ms', 'p99 ms'],
      rows: commits.map((c) => [
        c.concurrency,
        round(c.perSecond, 0),
        round(c.latencyMs.p50, 2),
        round(c.latencyMs.p95, 2),
        round(c.latencyMs.p99, 2),
      ]),
    },
    {
      title: 'Nest hello-world (Fastify, GET, own process)',
      columns: ['connections', 'requests/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'server CPU %'],
      rows: hello.map((h) => [
        h.connections,
        round(h.rps, 0),
        round(h.latencyMs.p50, 2),
        round(h.latencyMs.p95, 2),
        round(h.latencyMs.p99, 2),
        h.errors + h.non2xx,
        round(h.serverCpuPercent, 0),
      ]),
    },
  ];

  return {
    metrics,
    ratios: {
      consume_vs_produce: round(consume.perSecond / produce.perSecond, 2),
      pg_batch_rows_vs_commits: round(batch.perSecond / bestCommits.perSecond, 1),
      hello_world_vs_pg_commits: round(bestHello.rps / bestCommits.perSecond, 2),
    },
    tables,
    notes: [
      `Kafka: one topic of 12 partitions on the local broker, ${produce.count} messages of ~350 bytes keyed over 1000 accounts; ` +
        'produce in send() calls of 500 messages, 4 in flight, idempotent, acks=all; consume with a fresh group from the beginning, ' +
        'rate from the first batch to the last message.',
      'PostgreSQL: a scratch paystream_test_bench_* database; commits are single-row INSERTs in autocommit (one durable commit each); ' +
        'batched inserts are 1000-row INSERT ... SELECT unnest(...) statements.',
      'The same produce and consume with @confluentinc/kafka-javascript and @platformatic/kafka: see client-comparison.',
    ],
  };
});
