import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, KafkaContext, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import { TEST_BROKERS, createTopics, testKafka, uniqueName, waitFor } from '@paystream/testing';
import { Producer } from 'kafkajs';

interface Received {
  payload: unknown;
  topic: string;
  partition: number;
  key: string | undefined;
  eventId: string | undefined;
}

// The topic name is only known at run time, while @EventPattern needs it when the class is
// declared: the controller is therefore built per test run.
function probeModule(topic: string, received: Received[]) {
  @Controller()
  class ProbeController {
    @EventPattern(topic)
    handle(@Payload() payload: unknown, @Ctx() context: KafkaContext): void {
      const message = context.getMessage();
      const eventId = message.headers?.eventId;
      received.push({
        payload,
        topic: context.getTopic(),
        partition: context.getPartition(),
        key: message.key?.toString(),
        eventId: eventId === undefined ? undefined : String(eventId),
      });
    }
  }

  @Module({ controllers: [ProbeController] })
  class ProbeModule {}
  return ProbeModule;
}

describe('Nest Kafka transport', () => {
  const topic = uniqueName('foundation_transport');
  const groupId = uniqueName('foundation_transport_group');
  const received: Received[] = [];
  let deleteTopics: (() => Promise<void>) | undefined;
  let microservice: INestMicroservice | undefined;
  let producer: Producer | undefined;

  beforeAll(async () => {
    deleteTopics = await createTopics([{ name: topic, partitions: 3 }]);
    microservice = await NestFactory.createMicroservice<MicroserviceOptions>(probeModule(topic, received), {
      logger: false,
      transport: Transport.KAFKA,
      options: {
        // No '-server' suffix: the group id is exactly ours, so nothing else shares its offsets.
        postfixId: '',
        client: { clientId: uniqueName('foundation-transport'), brokers: TEST_BROKERS },
        consumer: { groupId, allowAutoTopicCreation: false },
        // The topic is new and empty: reading from the beginning makes the test independent of
        // when the group finishes joining relative to the produce below.
        subscribe: { fromBeginning: true },
      },
    });
    await microservice.listen();
    producer = testKafka('foundation-transport-producer').producer({ idempotent: true });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await microservice?.close();
    await deleteTopics?.();
  });

  it('delivers a produced message to the @EventPattern handler exactly once with its payload, key and headers', async () => {
    const payload = { eventId: uniqueName('evt'), amount: '125.50', currency: 'EUR', nested: { items: [1, 2, 3] } };
    await producer!.send({
      topic,
      acks: -1,
      messages: [{ key: 'acct-42', value: JSON.stringify(payload), headers: { eventId: payload.eventId } }],
    });

    await waitFor('the handler to receive the message', () => received.length >= 1, { timeoutMs: 60_000 });
    // A second produce acts as a barrier: once it has arrived, a duplicate of the first would have too.
    const barrier = { eventId: uniqueName('barrier') };
    await producer!.send({ topic, acks: -1, messages: [{ key: 'acct-42', value: JSON.stringify(barrier) }] });
    await waitFor('the barrier message', () => received.length >= 2, { timeoutMs: 30_000 });

    expect(received).toHaveLength(2);
    expect(received[0]).toEqual({
      payload,
      topic,
      partition: expect.any(Number),
      key: 'acct-42',
      eventId: payload.eventId,
    });
    // Same key, same partition, in order.
    expect(received[1].payload).toEqual(barrier);
    expect(received[1].partition).toBe(received[0].partition);
  });
});
