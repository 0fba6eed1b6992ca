import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger, Metrics } from '@paystream/observability';
import { APP_CONFIG } from '@paystream/platform';
import type { PaymentConfig } from '../config';
import { IdempotencyRepository } from '../persistence/idempotency.repository';

const BATCH = 1000;

/**
 * Deletes idempotency keys past their retention (PAYMENT_IDEMPOTENCY_TTL_HOURS) every
 * PAYMENT_IDEMPOTENCY_PURGE_INTERVAL_SECONDS, in small batches so no purge holds locks for long.
 * Several instances may purge at once: each DELETE only removes rows that are still there.
 */
@Injectable()
export class IdempotencyPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly purged;

  constructor(
    private readonly repository: IdempotencyRepository,
    @Inject(APP_CONFIG) private readonly config: PaymentConfig,
    private readonly logger: JsonLogger,
    metrics: Metrics,
  ) {
    this.purged = metrics.counter('payment_idempotency_keys_purged_total', 'Expired idempotency keys deleted');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.purgeNow()
        .then(() => undefined)
        .catch((err: unknown) =>
          this.logger.event('warn', 'idempotency purge failed; retrying next interval', { err: String(err) }),
        )
        .finally(() => (this.running = undefined));
    }, this.config.PAYMENT_IDEMPOTENCY_PURGE_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }

  /** Purges every key expired at `now`; returns how many were deleted. */
  async purgeNow(now: Date = new Date()): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.repository.purgeExpired(now, BATCH);
      total += deleted;
      this.purged.inc(deleted);
      if (deleted < BATCH) return total;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
