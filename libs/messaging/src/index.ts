import './kafkajs-request-queue.patch';
import './kafkajs-record-decoder.patch';
import './kafkajs-coordinator-cache.patch';
export * from './kafka-config';
export * from './kafka-health';
export * from './ports';
export * from './failure';
export * from './headers';
export * from './migrations';
export * from './messaging.module';
export * from './outbox/outbox';
export * from './outbox/outbox-relay';
export { outboxInsertFrom } from './outbox/outbox-rows';
export { OutboxSignal } from './outbox/outbox-signal';
export * from './consumer/exactly-once-context';
export * from './consumer/exactly-once-consumer';
export { completeGroupAssigner } from './consumer/complete-group-assigner';
export * from './consumer/exactly-once.strategy';
export * from './serde';
export * from './consumer/phase-profile';
export { patchKafkajsRequestQueue } from './kafkajs-request-queue.patch';
export { COORDINATOR_TTL_MS, patchKafkajsCoordinatorCache } from './kafkajs-coordinator-cache.patch';
export {
  LazyRecord,
  decodeRecord,
  headerBytes,
  patchKafkajsRecordDecoder,
  recordDecoderPatched,
} from './kafkajs-record-decoder.patch';
