export * from './kafka-config';
export * from './kafka-health';
