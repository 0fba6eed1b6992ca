import { DynamicModule, Global, Module } from '@nestjs/common';
import { JsonLogger, Metrics } from '@paystream/observability';
import type { SharedConfig } from './config';
import { HealthController, HealthRegistry, MetricsController } from './health';

/** Injection token of the service's validated configuration object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
/** Injection token of the service name (`payment`, `ledger`, …). */
export const SERVICE_NAME = Symbol('SERVICE_NAME');

export interface PlatformOptions {
  service: string;
  config: SharedConfig;
  logger: JsonLogger;
  metrics: Metrics;
}

/** What every service has: its config, logger, metrics, `/health/*` and `/metrics`. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController],
      providers: [
        HealthRegistry,
        { provide: APP_CONFIG, useValue: options.config },
        { provide: SERVICE_NAME, useValue: options.service },
        { provide: JsonLogger, useValue: options.logger },
        { provide: Metrics, useValue: options.metrics },
      ],
      exports: [HealthRegistry, APP_CONFIG, SERVICE_NAME, JsonLogger, Metrics],
    };
  }
}
