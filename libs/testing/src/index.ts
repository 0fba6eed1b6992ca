export * from './consumer-groups';
export * from './kafka';
export * from './service-process';
export * from './test-database';
export * from './wait-for';
