import type {
  LedgerResultEvent,
  PaymentAuthorized,
  PaymentEvent,
  PaymentFailed,
  PaymentSettled,
} from '@paystream/contracts';
import { EventCodec, SchemaRegistryCodec, eventHeaders, toKafkaHeaders } from '@paystream/messaging';
import { fromMinor } from '@paystream/money';
import { TEST_REGISTRY_URL, testKafka } from '@paystream/testing';
import { Consumer, Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';

/** Stands in for the payment service: writes payment events as the outbox relay would. */
export class PaymentEventsProducer {
  private constructor(
    readonly codec: EventCodec,
    private readonly producer: Producer,
  ) {}

  static async connect(): Promise<PaymentEventsProducer> {
    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const producer = testKafka('ledger-test-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new PaymentEventsProducer(codec, producer);
  }

  async send(topic: string, events: readonly PaymentEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      const chunk = events.slice(i, i + 500);
      const values = await Promise.all(chunk.map((e) => this.codec.encode(topic, e)));
      await this.producer.send({
        topic,
        acks: -1,
        messages: chunk.map((e, j) => ({
          key: e.data.debtorAccountId,
          value: values[j],
          headers: toKafkaHeaders(eventHeaders(e)),
        })),
      });
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

export function authorized(
  paymentId: string,
  debtorAccountId: string,
  creditorAccountId: string,
  minor: bigint,
  currency = 'EUR',
  occurredAt = new Date(),
): PaymentAuthorized {
  return {
    eventId: uuidv7(),
    type: 'payment.authorized',
    occurredAt: occurredAt.toISOString(),
    paymentId,
    correlationId: `corr-${paymentId}`,
    version: 2,
    data: {
      debtorAccountId,
      creditorAccountId,
      amount: fromMinor(minor, currency),
      currency,
      riskScore: 1,
      ruleVersion: 1,
    },
  };
}

/**
 * What the payment service makes of a ledger result: payment.settled or payment.failed. `legacy`:
 * as written before schema v2 of both, without the ledger's booking or refusal time (a replay then
 * learns it from payment.authorized).
 */
export function outcomeOf(result: LedgerResultEvent, { legacy = false } = {}): PaymentSettled | PaymentFailed {
  const envelope = {
    eventId: uuidv7(),
    occurredAt: new Date().toISOString(),
    paymentId: result.paymentId,
    correlationId: result.correlationId,
    version: 3,
  };
  const { debtorAccountId, creditorAccountId, amount, currency } = result.data;
  const terms = { debtorAccountId, creditorAccountId, amount, currency };
  if (result.type === 'ledger.posted') {
    return {
      ...envelope,
      type: 'payment.settled',
      data: {
        ...terms,
        journalEntryId: result.data.journalEntryId,
        postings: result.data.postings,
        postedAt: legacy ? null : result.data.postedAt,
      },
    };
  }
  return {
    ...envelope,
    type: 'payment.failed',
    data: { ...terms, reason: result.data.reason, refusedAt: legacy ? null : result.data.refusedAt },
  };
}

/** Reads a results topic from the start, keeping the first result per payment (the relay may repeat one). */
export class ResultsReader {
  readonly byPayment = new Map<string, LedgerResultEvent>();
  /** Distinct result event ids per payment: more than one would be a second decision. */
  readonly resultIds = new Map<string, Set<string>>();
  private consumer?: Consumer;

  constructor(
    private readonly topic: string,
    private readonly codec: EventCodec,
  ) {}

  async start(group: string): Promise<void> {
    const consumer = testKafka('ledger-test-results').consumer({ groupId: group });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const event = (await this.codec.decode(this.topic, message.value)) as LedgerResultEvent;
        const ids = this.resultIds.get(event.paymentId) ?? new Set<string>();
        ids.add(event.eventId);
        this.resultIds.set(event.paymentId, ids);
        if (!this.byPayment.has(event.paymentId)) this.byPayment.set(event.paymentId, event);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** A small deterministic PRNG, so a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
