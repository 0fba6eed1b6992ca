export * from './bootstrap';
export * from './config';
export * from './health';
export * from './platform.module';
export * from './problem';
