/**
 * A consumer process for the crash tests: runs an ExactlyOnceConsumer whose handler records one
 * effect row per call (and, in kafka-transaction mode, emits one output), and kills itself with
 * SIGKILL at the hook point given in KILL_AT (`beforePgCommit:N` / `afterPgCommit:N`: on the N-th
 * chunk). Prints `started` and `chunk <n>` lines so the parent can time its own kill -9.
 */
import { ExactlyOnceConsumer, ConsumerMode, SchemaRegistryCodec } from '@paystream/messaging';
import { TEST_BROKERS, TEST_REGISTRY_URL } from '@paystream/testing';
import { logLevel } from 'kafkajs';
import { openDataSource, recordEffect, riskAssessed } from './messaging-fixtures';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

async function main(): Promise<void> {
  const group = env('GROUP');
  const topic = env('TOPIC');
  const mode = (process.env.MODE ?? 'database') as ConsumerMode;
  const output = process.env.OUTPUT_TOPIC;
  const [killPoint, killChunk] = (process.env.KILL_AT ?? '').split(':');
  const handlerDelayMs = Number(process.env.HANDLER_DELAY_MS ?? '0');
  const dataSource = openDataSource(env('DATABASE'), 3);
  await dataSource.initialize();
  const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
  let chunks = 0;
  // Chunks through their commit, counted apart from `chunks`: chunks that share a combined
  // transaction pass beforePgCommit one after the other before any of them passes afterPgCommit,
  // and the parent waits for each number in turn.
  let committed = 0;
  const maybeKill = (point: string) => {
    // >=: a combined transaction's chunks all pass beforePgCommit before the first afterPgCommit.
    if (point === killPoint && chunks >= Number(killChunk)) process.kill(process.pid, 'SIGKILL');
  };
  const consumer = new ExactlyOnceConsumer({
    dataSource,
    codec,
    kafkaConfig: { clientId: `crash-child-${process.pid}`, brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
    group,
    topics: [topic],
    mode,
    maxBatchSize: Number(process.env.MAX_BATCH ?? '25'),
    sessionTimeoutMs: 6000,
    handler: async (event, ctx) => {
      if (handlerDelayMs) await new Promise((r) => setTimeout(r, handlerDelayMs));
      await recordEffect(ctx.manager, group, event.eventId, ctx.getMessage().key?.toString() ?? '', ctx.origin);
      if (output && event.type === 'payment.initiated') {
        await ctx.emit({ topic: output, key: event.data.debtorAccountId, event: riskAssessed(event) });
      }
    },
    hooks: {
      beforePgCommit: () => {
        chunks++;
        maybeKill('beforePgCommit');
      },
      afterPgCommit: () => {
        maybeKill('afterPgCommit');
        process.stdout.write(`chunk ${++committed}\n`);
      },
    },
  });
  const shutdown = () => {
    void consumer
      .stop()
      .then(() => dataSource.destroy())
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  await consumer.start();
  process.stdout.write('started\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`consumer child failed: ${String(err)}\n`);
  process.exit(1);
});
