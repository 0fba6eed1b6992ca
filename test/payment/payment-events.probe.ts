import { AnyEvent, PaymentEvent } from '@paystream/contracts';
import { EventCodec, eventHeaders, toKafkaHeaders } from '@paystream/messaging';
import { testKafka, uniqueName, waitFor } from '@paystream/testing';
import { Consumer, Producer } from 'kafkajs';

/**
 * Reads the test's own payment-events topic with a group of its own and keeps the decoded events
 * of the payments a test cares about.
 */
export class PaymentEventsProbe {
  readonly events: PaymentEvent[] = [];
  private readonly consumer: Consumer;
  private readonly watched = new Set<string>();

  private constructor(
    private readonly codec: EventCodec,
    private readonly topic: string,
  ) {
    this.consumer = testKafka(uniqueName('payment-probe')).consumer({ groupId: uniqueName('payment_probe') });
  }

  static async start(codec: EventCodec, topic: string): Promise<PaymentEventsProbe> {
    const probe = new PaymentEventsProbe(codec, topic);
    let joined = false;
    probe.consumer.on(probe.consumer.events.GROUP_JOIN, () => (joined = true));
    await probe.consumer.connect();
    // The topic is the test's own: from its beginning, no event published before the join is missed.
    await probe.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await probe.consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const event = (await probe.codec.decode(probe.topic, message.value)) as PaymentEvent;
        if (probe.watched.has(event.paymentId)) probe.events.push(event);
      },
    });
    await waitFor('payment-events probe joined its group', () => joined, { timeoutMs: 60_000 });
    return probe;
  }

  watch(paymentId: string): void {
    this.watched.add(paymentId);
  }

  of(paymentId: string): PaymentEvent[] {
    return this.events.filter((e) => e.paymentId === paymentId);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** Produces contract events the way their real producers do: Avro via the registry, keyed, with headers. */
export async function produceEvents(producer: Producer, codec: EventCodec, topic: string, events: AnyEvent[]) {
  await producer.send({
    topic,
    acks: -1,
    messages: await Promise.all(
      events.map(async (event) => ({
        key: (event.data as { debtorAccountId: string }).debtorAccountId,
        value: await codec.encode(topic, event),
        headers: toKafkaHeaders(eventHeaders(event)),
      })),
    ),
  });
}
