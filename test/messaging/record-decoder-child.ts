/**
 * The runtime's record decoder in a process of its own (record-decoder.e2e-spec.ts): loads
 * libs/messaging, or kafkajs' batch decoder first when RECORD_DECODER_LATE is set, then reads
 * TOPIC from its start with a plain kafkajs consumer and prints one JSON line.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
if (process.env.RECORD_DECODER_LATE) require('kafkajs/src/protocol/recordBatch/v0/decoder');
const messaging = require('@paystream/messaging') as typeof import('@paystream/messaging');
const { testKafka } = require('@paystream/testing') as typeof import('@paystream/testing');
/* eslint-enable @typescript-eslint/no-require-imports */

async function main(): Promise<void> {
  const topic = process.env.TOPIC!;
  const expected = Number(process.env.RECORDS);
  const consumer = testKafka('record-decoder-child').consumer({ groupId: `${topic}-reader-${process.pid}` });
  const records: Array<{ offset: string; key: string | null; value: string | null; headers: object; lazy: boolean }> =
    [];
  let done!: () => void;
  const read = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  consumer.on(consumer.events.CRASH, (e) => {
    process.stderr.write(`consumer crashed: ${String(e.payload.error)}\n`);
    process.exit(1);
  });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        records.push({
          offset: m.offset,
          key: m.key?.toString() ?? null,
          value: m.value?.toString() ?? null,
          headers: Object.fromEntries(
            Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
          ),
          lazy: m instanceof messaging.LazyRecord,
        });
      }
      if (records.length >= expected) done();
      return Promise.resolve();
    },
  });
  await read;
  await consumer.disconnect();
  process.stdout.write(JSON.stringify({ patched: messaging.recordDecoderPatched, records }) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(String(err) + '\n');
    process.exit(1);
  },
);
