import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { JsonLogger, Metrics } from '@paystream/observability';
import { loadConfig, PlatformModule, ProblemFilter, setupOpenApi } from '@paystream/platform';
import type { TestDatabase } from '@paystream/testing';
import { AuditAppModule } from '../app.module';
import { AuditConfig, auditConfigShape } from '../config';

/** The audit app in-process on a test database: HTTP through app.inject, no port, no consumer. */
export async function createAuditTestApp(
  db: TestDatabase,
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  const config = loadConfig('audit', 3002, auditConfigShape, {
    DATABASE_URL: db.serverUrl,
    DATABASE_NAME: db.name,
    DATABASE_POOL_SIZE: '6',
    ...env,
  }) as unknown as AuditConfig;
  const logger = new JsonLogger('audit', 'error');
  const platform = PlatformModule.forRoot({ service: 'audit', config, logger, metrics: new Metrics('audit') });
  const app = await NestFactory.create<NestFastifyApplication>(
    AuditAppModule.register(config, platform),
    new FastifyAdapter(),
    {
      logger: false,
    },
  );
  app.useGlobalFilters(new ProblemFilter(logger));
  setupOpenApi(app, 'audit');
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
