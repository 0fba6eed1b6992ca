/**
 * Client comparison (issue 8): the raw produce (batched, acks=all, idempotent) and consume
 * (eachBatch, or the client's nearest equivalent) of the baselines scenario, with kafkajs,
 * @confluentinc/kafka-javascript and @platformatic/kafka in the same run, on one topic of 12
 * partitions per client and round. Rounds rotate the order of the clients so none always runs
 * first; the report gives each client's median and its ratio to kafkajs.
 *
 * The two other clients are installed on demand into .cache/bench-clients by
 * bench/clients/install.mjs (bench/run.mjs does it before this scenario); a client that is not
 * installed is reported as such and the others are still measured.
 *
 * `node dist/bench/client-comparison.bench.js [--quick] [--json out.json]`
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Kafka } from 'kafkajs';
import { ComparedClient, installSummary } from './clients/common';
import { confluentClient } from './clients/confluent';
import { platformaticClient, probeConcurrentSends } from './clients/platformatic';
import {
  BenchTable,
  ConsumeRate,
  Rate,
  benchKafka,
  createBenchTopic,
  rawConsume,
  rawProduce,
  median,
  round,
  runScenario,
  topicMessageCount,
} from './lib';

/** kafkajs as the baselines scenario runs it (4 send() calls in flight), or with one (`concurrency` 1). */
function kafkajsClient(kafka: Kafka, concurrency = 4): ComparedClient {
  const { version } = JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as { version: string };
  const reference = concurrency === 4;
  return {
    id: reference ? 'kafkajs' : `kafkajs_${concurrency}_in_flight`,
    label: `kafkajs ${version}${reference ? '' : `, ${concurrency} send() in flight`}`,
    settings:
      `rawProduce / rawConsume of the baselines scenario with ${concurrency} send() call(s) in flight: producer idempotent ` +
      'with maxInFlightRequests 1 (what kafkajs needs for idempotence), acks=-1; consumer eachBatch with its defaults',
    produce: (topic, n) => rawProduce(kafka, topic, n, { concurrency }),
    consume: (topic, n) => rawConsume(kafka, topic, n),
  };
}

/** Runs `fn` and says how much CPU this process (all its threads, librdkafka's included) spent on it. */
async function withCpu<T>(fn: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const before = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(before);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}

interface Sample {
  round: number;
  produce: Rate;
  produceCpuMs: number;
  consume: ConsumeRate;
  consumeCpuMs: number;
}

/**
 * Consume rate including the group join and the first fetch: a client that prefetches in the
 * background (librdkafka) can have every message local before its first callback, which makes the
 * rate from the first delivery look arbitrarily high; this one cannot be flattered that way.
 */
const withJoin = (c: ConsumeRate): number => c.count / (c.seconds + c.startupSeconds);

/** An error as one report line (a bindings error lists every path it tried, one per line). */
const oneLine = (err: unknown): string => {
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' | ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

runScenario('client-comparison', async ({ quick, progress }) => {
  const size = quick ? { messages: 20_000, rounds: 1 } : { messages: 100_000, rounds: 5 };
  const loadAtStart = loadAverage();
  const kafka = benchKafka('paystream-bench-clients');
  // The variants answer the obvious objections: platformatic can only be driven with one send()
  // in flight, which is also how the outbox relay produces (so kafkajs and confluent are measured
  // that way too), and confluent's eachBatch defaults to 32 messages per batch (so it is measured
  // with unbounded batches too).
  const clients: ComparedClient[] = [kafkajsClient(kafka), kafkajsClient(kafka, 1)];
  const notes: string[] = [];
  const variants = [
    () => confluentClient(),
    () => confluentClient({ concurrency: 1 }),
    () => confluentClient({ unboundedBatches: true }),
    () => platformaticClient(),
  ];
  for (const make of variants) {
    try {
      clients.push(make());
    } catch (err) {
      const reason = oneLine(err);
      // The confluent variants fail the same way: say it once.
      if (notes.includes(`Not measured: ${reason}`)) continue;
      notes.push(`Not measured: ${reason}`);
      progress.log(`not measured: ${reason}`);
    }
  }

  if (clients.some((c) => c.id === 'platformatic')) {
    const topic = await createBenchTopic('bench-clients-probe', 12, kafka);
    try {
      const outcome = await progress.step('platformatic: 4 concurrent send() calls on its idempotent producer', () =>
        probeConcurrentSends(topic.name, 4000),
      );
      notes.push(
        `@platformatic/kafka with the baseline's shape (4 send() calls of 500 messages in flight on one idempotent producer): ${outcome}.`,
      );
    } finally {
      await topic.delete();
    }
  }

  const samples = new Map<string, Sample[]>(clients.map((c) => [c.id, []]));
  // A failed round is data too (an idempotent producer refusing the shape, say): it is counted
  // and reported, and the client still runs in the next rounds.
  const failed = new Map<string, string[]>(clients.map((c) => [c.id, []]));
  const n = size.messages;
  for (let r = 0; r < size.rounds; r++) {
    // Rotate the order so that no client always runs first (or right after another one's topic).
    const order = clients.map((_, i) => clients[(i + r) % clients.length]);
    for (const client of order) {
      const topic = await createBenchTopic(`bench-clients-${client.id}`, 12, kafka);
      const what = `round ${r + 1}/${size.rounds}: ${client.id}`;
      try {
        const produce = await progress.step(`${what} produce of ${n} messages`, () =>
          withCpu(() => client.produce(topic.name, n)),
        );
        const held = await topicMessageCount(kafka, topic.name);
        if (held !== n) throw new Error(`produced ${n} messages but the topic holds ${held}`);
        const consume = await progress.step(`${what} consume of ${n} messages`, () =>
          withCpu(() => client.consume(topic.name, n)),
        );
        if (consume.value.count !== n) throw new Error(`consumed ${consume.value.count} of ${n} messages`);
        samples.get(client.id)?.push({
          round: r,
          produce: produce.value,
          produceCpuMs: produce.cpuMs,
          consume: consume.value,
          consumeCpuMs: consume.cpuMs,
        });
      } catch (err) {
        const reason = oneLine(err);
        failed.get(client.id)?.push(reason);
        progress.log(`${what} FAILED: ${reason}`);
      } finally {
        await topic.delete();
      }
    }
  }
  const measured = clients.filter((c) => samples.get(c.id)?.length);
  if (!samples.get('kafkajs')?.length)
    throw new Error(`the kafkajs reference failed in every round: ${failed.get('kafkajs')?.join('; ')}`);
  const summary = new Map(
    measured.map((c) => {
      const s = samples.get(c.id) ?? [];
      return [
        c.id,
        {
          produce: median(s.map((x) => x.produce.perSecond)),
          consume: median(s.map((x) => x.consume.perSecond)),
          consumeWithJoin: median(s.map((x) => withJoin(x.consume))),
          // CPU per message: what it costs on a 2-core machine that also runs the broker and the services.
          produceCpu: median(s.map((x) => (1000 * x.produceCpuMs) / x.produce.count)),
          consumeCpu: median(s.map((x) => (1000 * x.consumeCpuMs) / x.consume.count)),
          join: median(s.map((x) => x.consume.startupSeconds)),
        },
      ];
    }),
  );
  const reference = summary.get('kafkajs');
  if (!reference) throw new Error('no kafkajs sample');

  const metrics: Record<string, number | string> = { messages: n, rounds: size.rounds, partitions: 12 };
  const ratios: Record<string, number> = {};
  for (const c of measured) {
    const s = summary.get(c.id);
    if (!s) continue;
    metrics[`${c.id}_produce_msgs_per_s`] = round(s.produce, 0);
    metrics[`${c.id}_consume_msgs_per_s`] = round(s.consume, 0);
    metrics[`${c.id}_consume_incl_join_msgs_per_s`] = round(s.consumeWithJoin, 0);
    metrics[`${c.id}_produce_cpu_ms_per_1k_msgs`] = round(s.produceCpu, 1);
    metrics[`${c.id}_consume_cpu_ms_per_1k_msgs`] = round(s.consumeCpu, 1);
    if (c.id === 'kafkajs') continue;
    ratios[`${c.id}_produce_vs_kafkajs`] = round(s.produce / reference.produce, 2);
    ratios[`${c.id}_consume_vs_kafkajs`] = round(s.consume / reference.consume, 2);
    ratios[`${c.id}_consume_incl_join_vs_kafkajs`] = round(s.consumeWithJoin / reference.consumeWithJoin, 2);
  }
  // The relay's shape: one send() in flight on an idempotent producer.
  const oneInFlight = summary.get('kafkajs_1_in_flight');
  for (const id of ['confluent_1_in_flight', 'platformatic']) {
    const s = summary.get(id);
    if (oneInFlight && s) ratios[`${id}_produce_vs_kafkajs_1_in_flight`] = round(s.produce / oneInFlight.produce, 2);
  }
  metrics.load_average_at_start = loadAtStart;
  metrics.load_average_at_end = loadAverage();

  const tables: BenchTable[] = [
    {
      title: `Medians over ${size.rounds} round(s), ${n} messages each (CPU: this process, all threads)`,
      columns: [
        'client',
        'produce msgs/s',
        'vs kafkajs',
        'produce CPU ms / 1k msgs',
        'consume msgs/s',
        'vs kafkajs',
        'consume CPU ms / 1k msgs',
        'group join s',
        'consume incl. join msgs/s',
        'vs kafkajs',
        'failed rounds',
      ],
      rows: measured.flatMap((c) => {
        const s = summary.get(c.id);
        if (!s) return [];
        return [
          [
            c.label,
            round(s.produce, 0),
            round(s.produce / reference.produce, 2),
            round(s.produceCpu, 1),
            round(s.consume, 0),
            round(s.consume / reference.consume, 2),
            round(s.consumeCpu, 1),
            round(s.join, 2),
            round(s.consumeWithJoin, 0),
            round(s.consumeWithJoin / reference.consumeWithJoin, 2),
            failed.get(c.id)?.length ?? 0,
          ],
        ];
      }),
    },
    {
      title: 'Every round (msgs/s: produce / consume / consume incl. join)',
      columns: ['client', ...Array.from({ length: size.rounds }, (_, r) => `round ${r + 1}`)],
      rows: clients.map((c) => [
        c.id,
        ...Array.from({ length: size.rounds }, (_, r) => {
          const x = samples.get(c.id)?.find((sample) => sample.round === r);
          return x
            ? `${round(x.produce.perSecond, 0)} / ${round(x.consume.perSecond, 0)} / ${round(withJoin(x.consume), 0)}`
            : 'failed';
        }),
      ]),
    },
  ];

  const best = (key: 'produce' | 'consumeWithJoin') =>
    measured.reduce((a, b) => ((summary.get(b.id)?.[key] ?? 0) > (summary.get(a.id)?.[key] ?? 0) ? b : a));
  const bestProduce = best('produce');
  const bestConsume = best('consumeWithJoin');
  const install = installSummary();
  notes.unshift(
    `One topic of 12 partitions per client and round on the local broker; ${n} messages of ~350 bytes keyed over 1000 accounts, ` +
      'produced in awaited send() calls of 500 messages with 4 in flight (the shape of the kafkajs baseline), then consumed by a fresh ' +
      'group from the beginning; the consume rate runs from the first delivery to the last message (as in the baselines), the ' +
      '"incl. join" rate from run()/consume() to the last message. The topic must hold exactly ' +
      'the produced count (no loss, no duplicate) before it is consumed.',
    ...clients.map((c) => `${c.label}: ${c.settings}.`),
  );
  notes.push(
    `Fastest in this run: produce ${bestProduce.label} (${round((summary.get(bestProduce.id)?.produce ?? NaN) / reference.produce, 2)}× kafkajs), ` +
      `consume (incl. join) ${bestConsume.label} (${round((summary.get(bestConsume.id)?.consumeWithJoin ?? NaN) / reference.consumeWithJoin, 2)}× kafkajs). ` +
      'Which client the platform uses, why, and when to revisit: docs/design-notes.md, "Kafka client".',
  );
  if (install?.error)
    notes.push(
      `The native client's build failed (${install.log}): ${oneLine(install.error.split('\n').slice(-4).join('\n'))}`,
    );
  if (install)
    notes.push(
      `Installed by bench/clients/install.mjs on ${install.date} (Node ${install.node}): @confluentinc/kafka-javascript ${install.confluent}.`,
    );
  for (const [id, reasons] of failed) {
    if (!reasons.length) continue;
    const distinct = [...new Set(reasons)].join('; ');
    notes.push(`${id} FAILED in ${reasons.length} of ${size.rounds} round(s) (medians over the others): ${distinct}`);
  }
  return { metrics, ratios, tables, notes };
});
