export * from './events';
export * from './schemas';
export * from './topics';
