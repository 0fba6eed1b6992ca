export * from './schema-registry.codec';
export * from './wire-format';
