import { BENCH_BROKERS, BenchMessage, ConsumeRate, Rate, benchName, produceInBatches } from '../lib';
import { ComparedClient, ConsumeClock, loadFromCache } from './common';

/**
 * @confluentinc/kafka-javascript (librdkafka in a native addon) through its KafkaJS-compatible
 * API. Only the surface the comparison uses is typed here: the package lives in
 * .cache/bench-clients, not in the root node_modules, so its own types are not visible to tsc.
 */
interface Producer {
  connect(): Promise<void>;
  send(record: { topic: string; messages: BenchMessage[] }): Promise<unknown>;
  disconnect(): Promise<void>;
}

interface EachBatchPayload {
  batch: { messages: { value: Buffer | null }[] };
}

interface Consumer {
  connect(): Promise<void>;
  subscribe(subscription: { topics: string[] }): Promise<void>;
  run(config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void>;
  disconnect(): Promise<void>;
}

interface Kafka {
  producer(config: { kafkaJS: Record<string, unknown> }): Producer;
  consumer(config: { kafkaJS: Record<string, unknown> } & Record<string, unknown>): Consumer;
}

interface ConfluentModule {
  librdkafkaVersion: string;
  KafkaJS: { Kafka: new (config: { kafkaJS: Record<string, unknown> }) => Kafka };
}

const NOTHING = 0; // KafkaJS.logLevel.NOTHING

export interface ConfluentVariant {
  /** `js.consumer.max.batch.size: -1`: eachBatch gets whatever librdkafka has fetched, not 32 at most. */
  unboundedBatches?: boolean;
  /** send() calls in flight (4, the baseline's shape, unless set). */
  concurrency?: number;
}

/** Loads the client from the cache; throws (with how to install it) when it is not there. */
export function confluentClient(variant: ConfluentVariant = {}): ComparedClient {
  const { module, version } = loadFromCache('@confluentinc/kafka-javascript');
  const ckjs = module as ConfluentModule;
  const kafka = new ckjs.KafkaJS.Kafka({
    kafkaJS: { clientId: 'paystream-bench-confluent', brokers: BENCH_BROKERS, logLevel: NOTHING },
  });
  const unbounded = variant.unboundedBatches ?? false;
  const concurrency = variant.concurrency ?? 4;
  const suffix = [
    concurrency !== 4 ? `${concurrency} send() in flight` : '',
    unbounded ? 'js.consumer.max.batch.size -1' : '',
  ].filter(Boolean);
  return {
    id: [
      'confluent',
      ...(concurrency !== 4 ? [`${concurrency}_in_flight`] : []),
      ...(unbounded ? ['unbounded_batches'] : []),
    ].join('_'),
    label: `@confluentinc/kafka-javascript ${version} (librdkafka ${ckjs.librdkafkaVersion})${suffix.map((x) => `, ${x}`).join('')}`,
    settings:
      `KafkaJS-compatible API; producer idempotent, acks=-1, ${concurrency} send() call(s) in flight ` +
      '(librdkafka defaults otherwise: linger.ms 5, up to 5 requests in flight); ' +
      (unbounded
        ? 'consumer eachBatch with js.consumer.max.batch.size -1 (a batch holds whatever librdkafka has fetched)'
        : 'consumer eachBatch with its default js.consumer.max.batch.size (32 messages per batch)'),
    async produce(topic: string, n: number): Promise<Rate> {
      const producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1, allowAutoTopicCreation: false } });
      await producer.connect();
      try {
        return await produceInBatches(n, (messages) => producer.send({ topic, messages }), { concurrency });
      } finally {
        await producer.disconnect();
      }
    },
    async consume(topic: string, n: number): Promise<ConsumeRate> {
      const consumer = kafka.consumer({
        kafkaJS: { groupId: benchName('bench-confluent-consume'), fromBeginning: true },
        ...(unbounded ? { 'js.consumer.max.batch.size': -1 } : {}),
      });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic] });
        const clock = new ConsumeClock(n);
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              let bytes = 0;
              for (const m of batch.messages) bytes += m.value?.length ?? 0;
              clock.add(batch.messages.length, bytes);
              await Promise.resolve();
            },
          })
          .catch((err: unknown) => clock.fail(err));
        return await clock.done;
      } finally {
        await consumer.disconnect();
      }
    },
  };
}
