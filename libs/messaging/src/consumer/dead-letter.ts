import type { KafkaMessage, Producer } from 'kafkajs';
import { dlqTopic } from '@paystream/contracts';
import type { Failure } from '../failure';
import { headerString } from '../headers';

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  group: string;
  failure: Failure;
  eventId?: string;
}

/**
 * Sends the original record (key, value, headers) to `<topic>.<group>.dlq` with headers that let
 * an operator find and replay it. Sent before the offset moves past it, so a crash in between
 * sends it again (the DLQ is at-least-once; `dlq.eventId` + `dlq.offset` identify duplicates).
 */
export async function sendToDeadLetter(producer: Producer, letter: DeadLetter): Promise<string> {
  const { message, failure } = letter;
  const topic = dlqTopic(letter.topic, letter.group);
  const headers = { ...(message.headers ?? {}) };
  Object.assign(headers, {
    'dlq.topic': letter.topic,
    'dlq.partition': String(letter.partition),
    'dlq.offset': message.offset,
    'dlq.group': letter.group,
    'dlq.errorCode': failure.code,
    'dlq.errorMessage': failure.message.slice(0, 2000),
    'dlq.eventId': letter.eventId ?? headerString(message.headers, 'eventId') ?? '',
    'dlq.failedAt': new Date().toISOString(),
  });
  await producer.send({
    topic,
    acks: -1,
    messages: [{ key: message.key, value: message.value, headers, timestamp: message.timestamp }],
  });
  return topic;
}
