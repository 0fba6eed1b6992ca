import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { JsonLogger, Metrics } from '@paystream/observability';
import { loadConfig, PlatformModule, ProblemFilter, setupOpenApi } from '@paystream/platform';
import type { TestDatabase } from '@paystream/testing';
import { RiskAppModule } from '../app.module';
import { RiskConfig, riskConfigShape } from '../config';

/**
 * The risk app in-process on a test database (HTTP through app.inject, no port, no consumer
 * unless `env` names one): for the integration specs of the HTTP and persistence adapters.
 */
export async function createRiskTestApp(
  db: TestDatabase,
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  const config = loadConfig('risk', 3003, riskConfigShape, {
    DATABASE_URL: db.serverUrl,
    DATABASE_NAME: db.name,
    DATABASE_POOL_SIZE: '4',
    ...env,
  }) as unknown as RiskConfig;
  const logger = new JsonLogger('risk', 'error');
  const platform = PlatformModule.forRoot({ service: 'risk', config, logger, metrics: new Metrics('risk') });
  const app = await NestFactory.create<NestFastifyApplication>(
    RiskAppModule.register(config, platform),
    new FastifyAdapter(),
    {
      logger: false,
    },
  );
  app.useGlobalFilters(new ProblemFilter(logger));
  setupOpenApi(app, 'risk');
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
