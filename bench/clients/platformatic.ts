import { BENCH_BROKERS, BenchMessage, ConsumeRate, Rate, benchName, produceInBatches } from '../lib';
import { ComparedClient, ConsumeClock, loadFromCache } from './common';

/**
 * @platformatic/kafka (pure JavaScript). Only the surface the comparison uses is typed here: the
 * package lives in .cache/bench-clients, not in the root node_modules.
 */
interface Producer {
  send(options: { messages: (BenchMessage & { topic: string })[] }): Promise<unknown>;
  close(): Promise<void>;
}

interface MessagesStream {
  on(event: 'data', listener: (message: { value: string | null }) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  close(): Promise<void>;
}

interface Consumer {
  consume(options: { topics: string[]; mode: 'earliest'; autocommit: boolean }): Promise<MessagesStream>;
  close(force?: boolean): Promise<void>;
}

interface PlatformaticModule {
  Producer: new (options: Record<string, unknown>) => Producer;
  Consumer: new (options: Record<string, unknown>) => Consumer;
  stringSerializers: unknown;
  stringDeserializers: unknown;
}

async function produce(pk: PlatformaticModule, topic: string, n: number, concurrency: number): Promise<Rate> {
  const producer = new pk.Producer({
    clientId: 'paystream-bench-platformatic',
    bootstrapBrokers: BENCH_BROKERS,
    idempotent: true,
    acks: -1,
    autocreateTopics: false,
    serializers: pk.stringSerializers,
  });
  try {
    return await produceInBatches(
      n,
      (messages) => producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value })) }),
      { concurrency },
    );
  } finally {
    await producer.close();
  }
}

/** The first leaf of an AggregateError tree, the way the client nests broker errors per partition. */
function rootCause(err: unknown): string {
  let e = err;
  while (e instanceof AggregateError && e.errors.length) e = e.errors[0];
  const apiId = (e as { apiId?: unknown }).apiId;
  const message = e instanceof Error ? e.message : String(e);
  return typeof apiId === 'string' ? `${apiId}: ${message}` : message;
}

/**
 * What the comparison's produce shape (4 send() calls in flight) does to the idempotent producer
 * of this client: 'ok', or the broker's error. Checked once per run so the report says what this
 * version does rather than what it did once.
 */
export async function probeConcurrentSends(topic: string, n: number): Promise<string> {
  const { module } = loadFromCache('@platformatic/kafka');
  try {
    await produce(module as PlatformaticModule, topic, n, 4);
    return 'ok';
  } catch (err) {
    return `failed (${rootCause(err)})`;
  }
}

/** Loads the client from the cache; throws (with how to install it) when it is not there. */
export function platformaticClient(): ComparedClient {
  const { module, version } = loadFromCache('@platformatic/kafka');
  const pk = module as PlatformaticModule;
  return {
    id: 'platformatic',
    label: `@platformatic/kafka ${version}`,
    settings:
      'producer idempotent (which makes it send one request at a time), acks=-1, ONE awaited send() in flight ' +
      '(concurrent send() calls on its idempotent producer fail here, see below); ' +
      'consumer stream in mode earliest with autocommit, counted per message ("data" events: it has no batch callback)',
    produce: (topic: string, n: number) => produce(pk, topic, n, 1),
    async consume(topic: string, n: number): Promise<ConsumeRate> {
      const consumer = new pk.Consumer({
        clientId: 'paystream-bench-platformatic',
        groupId: benchName('bench-platformatic-consume'),
        bootstrapBrokers: BENCH_BROKERS,
        deserializers: pk.stringDeserializers,
      });
      const clock = new ConsumeClock(n);
      try {
        const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
        stream.on('data', (m) => clock.add(1, m.value?.length ?? 0));
        stream.on('error', (err) => clock.fail(err));
        try {
          return await clock.done;
        } finally {
          await stream.close();
        }
      } finally {
        await consumer.close(true);
      }
    },
  };
}
