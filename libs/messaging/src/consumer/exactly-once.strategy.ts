import { INestApplication } from '@nestjs/common';
import { CustomStrategy, CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { AnyEvent } from '@paystream/contracts';
import { JsonLogger, Metrics } from '@paystream/observability';
import { APP_CONFIG, SharedConfig } from '@paystream/platform';
import { isObservable, lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { kafkaClientConfig } from '../kafka-config';
import { EVENT_CODEC, EventCodec, PermanentError } from '../ports';
import { ExactlyOnceConsumer, ExactlyOnceConsumerOptions } from './exactly-once-consumer';
import type { ExactlyOnceContext } from './exactly-once-context';

export type ExactlyOnceServerOptions = Omit<ExactlyOnceConsumerOptions, 'handler'>;

/**
 * Nest transport strategy around ExactlyOnceConsumer: `@EventPattern(topic)` handlers get the
 * decoded event as `@Payload()` and an ExactlyOnceContext as `@Ctx()`.
 *
 * Errors: a handler's exception must reach the runtime unchanged to be classified (transient →
 * retry, permanent → DLQ). Nest's default RPC exception filter replaces it with a generic
 * object; runService's global ProblemFilter (inherited with `inheritAppConfig: true`) rethrows
 * non-HTTP exceptions, which keeps the original. A generic object is treated as an unknown error.
 */
export class ExactlyOnceServer extends Server implements CustomTransportStrategy {
  private consumer?: ExactlyOnceConsumer;

  constructor(private readonly options: ExactlyOnceServerOptions) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    const consumer = new ExactlyOnceConsumer({ ...this.options, handler: (event, ctx) => this.dispatch(event, ctx) });
    this.consumer = consumer;
    consumer.start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
  }

  on(): never {
    throw new Error('ExactlyOnceServer has no event listeners; use metrics and logs');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async dispatch(event: AnyEvent, ctx: ExactlyOnceContext): Promise<void> {
    const handler = this.getHandlerByPattern(ctx.origin.topic);
    if (!handler) throw new PermanentError('NO_HANDLER', `no @EventPattern('${ctx.origin.topic}') handler`);
    const result: unknown = await handler(event, ctx);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }
}

export interface ExactlyOnceConsumerStrategyOptions {
  group: string;
  topics: string[];
  mode?: ExactlyOnceConsumerOptions['mode'];
  /** See ExactlyOnceConsumerOptions.acceptTypes: the event types this group's handlers handle. */
  acceptTypes?: ExactlyOnceConsumerOptions['acceptTypes'];
  maxBatchSize?: number;
  /** See ExactlyOnceConsumerOptions.maxBytesPerPartition (fetch size; default kafkajs' 1 MiB). */
  maxBytesPerPartition?: number;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /** See ExactlyOnceConsumerOptions.lingerMs; default the service's CONSUMER_LINGER_MS. */
  lingerMs?: number;
}

/**
 * The strategy an app passes to runService's `microservices` hook. Takes the DataSource, codec,
 * config, logger and metrics from the app's container.
 */
export function exactlyOnceConsumer(
  app: INestApplication,
  options: ExactlyOnceConsumerStrategyOptions,
): CustomStrategy {
  const config = app.get<SharedConfig>(APP_CONFIG);
  const strategy = new ExactlyOnceServer({
    lingerMs: config.CONSUMER_LINGER_MS,
    ...options,
    dataSource: app.get(DataSource),
    codec: app.get<EventCodec>(EVENT_CODEC),
    kafkaConfig: kafkaClientConfig(config, `-${options.group}`),
    instanceId: config.INSTANCE_ID,
    metrics: app.get(Metrics, { strict: false }),
    logger: app.get(JsonLogger, { strict: false }),
  });
  return { strategy };
}
