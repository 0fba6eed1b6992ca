export * from './data-source';
export * from './database';
export * from './persistence.module';
export * from './sql-rows';
