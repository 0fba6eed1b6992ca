import {
  DynamicModule,
  Global,
  Inject,
  Module,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Provider,
} from '@nestjs/common';
import { JsonLogger, Metrics } from '@paystream/observability';
import { APP_CONFIG, SharedConfig } from '@paystream/platform';
import { DataSource } from 'typeorm';
import { kafkaClientConfig } from './kafka-config';
import { KafkaHealth } from './kafka-health';
import { Outbox } from './outbox/outbox';
import { OutboxRelay } from './outbox/outbox-relay';
import { EVENT_CODEC, EventCodec } from './ports';
import { SchemaRegistryCodec } from './serde';

export interface MessagingModuleOptions {
  /** Run the outbox relay in this process (one leader per database is elected among instances). */
  relay?: boolean;
}

/** Starts the relay once the app is up and stops it before the DataSource closes. */
class OutboxRelayLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(OutboxRelay) private readonly relay: OutboxRelay) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.relay.start();
  }
  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * Messaging for a service: the EventCodec (schemas registered at start-up), the Outbox, the
 * `kafka` readiness check and, with `relay: true`, the outbox relay. Needs PlatformModule and
 * PersistenceModule (global) in the app.
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions = {}): DynamicModule {
    const providers: Provider[] = [
      {
        provide: EVENT_CODEC,
        inject: [APP_CONFIG],
        useFactory: (config: SharedConfig): Promise<EventCodec> =>
          SchemaRegistryCodec.create({
            url: config.SCHEMA_REGISTRY_URL,
            username: config.SCHEMA_REGISTRY_USERNAME,
            password: config.SCHEMA_REGISTRY_PASSWORD,
          }),
      },
      Outbox,
      KafkaHealth,
    ];
    if (options.relay) {
      providers.push(
        {
          provide: OutboxRelay,
          inject: [APP_CONFIG, DataSource, EVENT_CODEC, JsonLogger, Metrics],
          useFactory: (
            config: SharedConfig,
            dataSource: DataSource,
            codec: EventCodec,
            logger: JsonLogger,
            metrics: Metrics,
          ) =>
            new OutboxRelay({
              dataSource,
              codec,
              logger,
              metrics,
              kafkaConfig: kafkaClientConfig(config),
              lingerMs: config.OUTBOX_RELAY_LINGER_MS,
            }),
        },
        OutboxRelayLifecycle,
      );
    }
    return {
      module: MessagingModule,
      providers,
      exports: [EVENT_CODEC, Outbox, KafkaHealth, ...(options.relay ? [OutboxRelay] : [])],
    };
  }
}
