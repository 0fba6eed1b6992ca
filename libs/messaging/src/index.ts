export * from './kafka-config';
export * from './kafka-health';
export * from './ports';
export * from './serde';
