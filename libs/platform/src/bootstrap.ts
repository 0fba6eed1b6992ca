import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CustomStrategy } from '@nestjs/microservices';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { CORRELATION_HEADER, JsonLogger, Metrics, withCorrelationId } from '@paystream/observability';
import type { z } from 'zod';
import { ConfigError, SharedConfig, loadConfig } from './config';
import { setupOpenApi } from './openapi';
import { ProblemFilter } from './problem';
import { PlatformModule } from './platform.module';

export interface ServiceDefinition<C extends SharedConfig> {
  service: string;
  defaultPort: number;
  configShape: z.ZodRawShape;
  /** The root module, given the validated config and the platform module to import. */
  module: (config: C, platform: DynamicModule) => Type<unknown> | DynamicModule;
  /** Maps domain error codes to HTTP statuses for the problem filter. */
  domainStatus?: Record<string, number>;
  bodyLimitBytes?: number;
  /** Kafka consumers of this service (Nest microservice strategies), started after the app initialised. */
  microservices?: (app: INestApplication) => CustomStrategy[];
  /** Last step before listening (OpenAPI, parsers). */
  configure?: (app: NestFastifyApplication, config: C) => void | Promise<void>;
}

/**
 * Boots one service as its own process: validated config (exit 1 naming the variable),
 * JSON logs with correlation ids, Fastify, problem+json errors, health and metrics, the
 * service's consumers, and a graceful shutdown on SIGTERM/SIGINT.
 */
export async function runService<C extends SharedConfig>(def: ServiceDefinition<C>): Promise<NestFastifyApplication> {
  let config: C;
  try {
    config = loadConfig(def.service, def.defaultPort, def.configShape) as unknown as C;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        JSON.stringify({ level: 'fatal', service: def.service, msg: err.message, problems: err.problems }) + '\n',
      );
      process.exit(1);
    }
    throw err;
  }
  const logger = new JsonLogger(def.service, config.LOG_LEVEL);
  const metrics = new Metrics(def.service);
  const platform = PlatformModule.forRoot({ service: def.service, config, logger, metrics });

  const adapter = new FastifyAdapter({
    bodyLimit: def.bodyLimitBytes ?? 64 * 1024,
    trustProxy: true,
    genReqId: () => randomUUID(),
  });
  // Every request runs in the correlation scope of its X-Correlation-Id (or a new one), echoed back.
  // Every request runs in the correlation scope of its X-Correlation-Id (or a new one), echoed
  // back. The scope is entered in preHandler, after the body has been read: a scope entered in
  // onRequest does not survive the body stream's callbacks, so a POST handler would lose it.
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', (req, reply, done) => {
    const given = req.headers[CORRELATION_HEADER];
    const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : req.id;
    req.headers[CORRELATION_HEADER] = id;
    void reply.header(CORRELATION_HEADER, id);
    done();
  });
  fastify.addHook('preHandler', (req, _reply, done) => {
    withCorrelationId(req.headers[CORRELATION_HEADER] as string, done);
  });

  const app = await NestFactory.create<NestFastifyApplication>(def.module(config, platform), adapter, {
    logger,
    abortOnError: false,
  });
  app.useGlobalFilters(new ProblemFilter(logger, def.domainStatus));
  stopOnSignals(app, logger, def.service);
  await def.configure?.(app, config);
  // Routes can only be added before Fastify is ready, so the docs are mounted before init.
  setupOpenApi(app, def.service);

  for (const strategy of def.microservices?.(app) ?? []) {
    app.connectMicroservice(strategy, { inheritAppConfig: true });
  }
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.PORT, config.HOST);
  logger.event('log', `${def.service} listening`, {
    url: `http://${config.HOST}:${config.PORT}`,
    database: config.DATABASE_NAME,
    kafka: config.KAFKA_BROKERS,
  });
  return app;
}

/**
 * SIGTERM/SIGINT run Nest's shutdown: destroy hooks (the outbox relay stops), then the HTTP server
 * and the consumers (each finishes or rolls back its chunk in flight and leaves its group), then
 * shutdown hooks (Kafka clients, the database pool last). Exit 0 once done; exit 1 with the
 * failing step's error in the log otherwise. (Nest's enableShutdownHooks re-raises the signal on
 * success and exits 1 on a failure with the reason only in Nest's own logger.) A second signal
 * while stopping is ignored: the stop bounds its own waits.
 */
function stopOnSignals(app: INestApplication, logger: JsonLogger, service: string): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    logger.event('log', `${service} stopping`, { signal });
    app.close().then(
      () => {
        logger.event('log', `${service} stopped`, { signal, ms: Math.round(performance.now() - started) });
        process.exit(0);
      },
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        logger.event('error', `${service} shutdown failed`, { signal, error: e.message, stack: e.stack });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** `main.ts` of every app: run, and exit non-zero with a logged reason if start-up fails. */
export function main<C extends SharedConfig>(def: ServiceDefinition<C>): void {
  runService(def).catch((err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(
      JSON.stringify({ level: 'fatal', service: def.service, msg: `start-up failed: ${e.message}`, stack: e.stack }) +
        '\n',
    );
    process.exit(1);
  });
}
