export * from './consumer-groups';
export * from './contract-topics';
export * from './kafka';
export * from './service-process';
export * from './test-database';
export * from './wait-for';
