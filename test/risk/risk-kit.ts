import { randomUUID } from 'node:crypto';
import type { AnyEvent, PaymentInitiated, RiskAssessed } from '@paystream/contracts';
import { SchemaRegistryCodec } from '@paystream/messaging';
import { TEST_REGISTRY_URL, testKafka, uniqueName } from '@paystream/testing';
import { Consumer, Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';

/** Test kit of the risk and audit suites: contract events in, decoded events out, over the real stack. */
export function paymentInitiated(debtor: string, amount: string, occurredAt: Date, currency = 'EUR'): PaymentInitiated {
  return {
    eventId: uuidv7(),
    type: 'payment.initiated',
    occurredAt: occurredAt.toISOString(),
    paymentId: uuidv7(),
    correlationId: randomUUID(),
    version: 1,
    data: {
      debtorAccountId: debtor,
      creditorAccountId: 'acc-merchant',
      amount,
      currency,
      reference: null,
      metadata: null,
    },
  };
}

/** Produces contract events in the Confluent wire format through the schema registry, keyed by debtor. */
export class EventProducer {
  private constructor(
    private readonly producer: Producer,
    readonly codec: SchemaRegistryCodec,
  ) {}

  static async connect(): Promise<EventProducer> {
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const producer = testKafka(uniqueName('risk-test-producer')).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new EventProducer(producer, codec);
  }

  async send(topic: string, events: AnyEvent[]): Promise<void> {
    const messages = await Promise.all(
      events.map(async (event) => ({
        key: event.data.debtorAccountId,
        value: await this.codec.encode(topic, event),
        headers: { type: event.type, eventId: event.eventId },
      })),
    );
    await this.producer.send({ topic, acks: -1, messages });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** A read_committed reader of a topic from its start: sees only what committed Kafka transactions wrote. */
export class CommittedReader {
  readonly events: RiskAssessed[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(topic: string, codec: SchemaRegistryCodec): Promise<CommittedReader> {
    const consumer = testKafka(uniqueName('risk-test-reader')).consumer({
      groupId: uniqueName('risk-test-reader'),
      readUncommitted: false,
    });
    const reader = new CommittedReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) reader.events.push((await codec.decode(topic, message.value)) as RiskAssessed);
      },
    });
    return reader;
  }

  byPayment(): Map<string, RiskAssessed[]> {
    const out = new Map<string, RiskAssessed[]>();
    for (const e of this.events) out.set(e.paymentId, [...(out.get(e.paymentId) ?? []), e]);
    return out;
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** A port no other suite is likely to pick (each test starts its own process). */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}
