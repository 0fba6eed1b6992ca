/**
 * The ledger bench's baseline (issue 5), a process of its own as the rebuild is: a plain kafkajs
 * eachBatch consumer of the bench topic, no database. It loads kafkajs and nothing of
 * libs/messaging, so it decodes records with kafkajs' own decoder; `--decoder paystream` loads the
 * runtime's record decoder first (libs/messaging README, "Record decoder"), to show how much of
 * the rebuild's lead over stock kafkajs that decoder is. `--avro` also Avro-decodes each record
 * (what any contract consumer must do). Every record's value and headers are read either way.
 * Prints one JSON line {events, seconds, eventsPerSecond, bytes}.
 *
 * `node dist/bench/ledger-raw-consume.js --topic T --brokers B --group G --events N
 *  --fetch-mib M --partitions P [--decoder kafkajs|paystream] [--avro <registry url>]`
 */
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    topic: { type: 'string' },
    brokers: { type: 'string' },
    group: { type: 'string' },
    events: { type: 'string' },
    'fetch-mib': { type: 'string', default: '8' },
    partitions: { type: 'string', default: '4' },
    decoder: { type: 'string', default: 'kafkajs' },
    avro: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const { topic, brokers, group } = args;
  if (!topic || !brokers || !group || !args.events)
    throw new Error('--topic, --brokers, --group and --events are required');
  if (args.decoder !== 'kafkajs' && args.decoder !== 'paystream')
    throw new Error(`--decoder must be kafkajs or paystream, got ${args.decoder}`);
  // Before kafkajs' first fetch: its batch decoder takes the record decoder it finds then.
  if (args.decoder === 'paystream') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { recordDecoderPatched } = require('@paystream/messaging/kafkajs-record-decoder.patch') as {
      recordDecoderPatched: boolean;
    };
    if (!recordDecoderPatched) throw new Error('the paystream record decoder did not install');
  }
  const { Kafka, logLevel } = await import('kafkajs');
  if (args.decoder === 'kafkajs' && Object.keys(require.cache).some((file) => file.includes('record-decoder.patch')))
    throw new Error("the runtime's record decoder was loaded: this baseline must run kafkajs' own");
  const { SchemaRegistryCodec } = await import('@paystream/messaging/serde/schema-registry.codec');
  const total = Number(args.events);
  const perPartition = Number(args['fetch-mib']) * 1024 * 1024;
  const codec = args.avro ? await SchemaRegistryCodec.create({ url: args.avro }) : undefined;
  const kafka = new Kafka({ clientId: 'ledger-bench-raw', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: group,
    // As the runtime sets them for the rebuild (fetchSizes in libs/messaging, not loaded here).
    maxBytesPerPartition: perPartition,
    maxBytes: Math.max(10 * 1024 * 1024, perPartition * Number(args.partitions)),
  });
  let seen = 0;
  let bytes = 0;
  let last = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async (payload) => {
      // Every record's value and headers read, as any consumer reads them: kafkajs' own decoder
      // decoded them already, the runtime's decodes them on this first read.
      for (const m of payload.batch.messages) bytes += (m.value?.length ?? 0) + Object.keys(m.headers ?? {}).length;
      if (codec) for (const m of payload.batch.messages) if (m.value) await codec.decode(topic, m.value);
      seen += payload.batch.messages.length;
      payload.resolveOffset(payload.batch.lastOffset());
      last = Date.now();
      if (seen >= total) resolveDone();
      await payload.heartbeat();
    },
  });
  // run() returns once the group is joined: the window opens here, as the rebuild's opens when its
  // partitions are assigned, so the first fetch counts on both sides.
  const first = Date.now();
  await done;
  await consumer.disconnect();
  const seconds = (last - first) / 1000;
  process.stdout.write(
    JSON.stringify({ events: seen, seconds, eventsPerSecond: Math.round(seen / seconds), bytes }) + '\n',
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`raw consumer failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
