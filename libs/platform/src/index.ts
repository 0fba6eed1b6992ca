export * from './bootstrap';
export * from './config';
export * from './health';
export * from './openapi';
export * from './platform.module';
export * from './problem';
export * from './validation';
