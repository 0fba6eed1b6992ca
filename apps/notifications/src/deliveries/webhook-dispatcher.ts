import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JsonLogger, Metrics } from '@paystream/observability';
import { APP_CONFIG } from '@paystream/platform';
import type { NotificationsConfig } from '../config';
import { signingSecrets } from '../webhooks/webhook';
import { ClaimedDelivery, DeliveryRepository } from './delivery.repository';
import { postJson } from './http-sender';
import { afterAttempt, RetryPolicy } from './retry-policy';
import { EVENT_ID_HEADER, signatureHeader, SIGNATURE_HEADER } from './signature';

// A claim outlives the HTTP deadline by this much, so that writing the result (milliseconds
// normally) happens before any other dispatcher may take the delivery over. Should the write be
// slower still, the worst case is one more POST of the same event, which receivers dedupe.
const LEASE_MARGIN_MS = 5_000;

/**
 * Sends deliveries off the consume path: the consumer only writes delivery rows, this loop
 * claims due ones, POSTs them signed, and records every attempt. Runs in every instance; the
 * claim (SKIP LOCKED + lease) keeps instances from sending the same delivery at once.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private readonly policy: RetryPolicy;
  private readonly attempts;
  private readonly duration;

  constructor(
    @Inject(APP_CONFIG) private readonly config: NotificationsConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly logger: JsonLogger,
    metrics: Metrics,
  ) {
    this.policy = {
      maxAttempts: config.NOTIFICATIONS_MAX_ATTEMPTS,
      baseMs: config.NOTIFICATIONS_RETRY_BASE_MS,
      maxMs: config.NOTIFICATIONS_RETRY_MAX_MS,
    };
    this.attempts = metrics.counter('webhook_delivery_attempts_total', 'Webhook delivery attempts by outcome', [
      'outcome',
    ]);
    this.duration = metrics.histogram(
      'webhook_delivery_duration_seconds',
      'Duration of webhook POSTs',
      [],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.NOTIFICATIONS_DISPATCH_ENABLED) this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.loop;
    // Calls in flight finish (bounded by their timeout) so their attempts get recorded.
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      let claimed = 0;
      try {
        const room = this.config.NOTIFICATIONS_DISPATCH_BATCH - this.inFlight.size;
        if (room > 0) {
          const batch = await this.deliveries.claimDue(
            room,
            this.config.NOTIFICATIONS_ENDPOINT_CONCURRENCY,
            this.config.NOTIFICATIONS_DELIVERY_TIMEOUT_MS + LEASE_MARGIN_MS,
          );
          claimed = batch.length;
          for (const delivery of batch) this.track(this.send(delivery));
        }
        failures = 0;
      } catch (err) {
        failures++;
        this.logger.event('warn', 'webhook dispatcher could not claim deliveries', {
          error: err instanceof Error ? err.message : String(err),
          failures,
        });
      }
      // A full claim means more may be due: poll again right away.
      const wait = claimed > 0 ? 0 : this.config.NOTIFICATIONS_DISPATCH_INTERVAL_MS * Math.min(2 ** failures, 20);
      if (wait > 0 || this.inFlight.size >= this.config.NOTIFICATIONS_DISPATCH_BATCH) {
        await this.pause(Math.max(wait, 10));
      }
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Sleeps until the delay passes, a call in flight ends, or shutdown. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
      if (this.inFlight.size >= this.config.NOTIFICATIONS_DISPATCH_BATCH) {
        void Promise.race(this.inFlight).then(done, done);
      }
    });
  }

  private async send(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = new Date();
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers = {
      [EVENT_ID_HEADER]: delivery.eventId,
      [SIGNATURE_HEADER]: signatureHeader(signingSecrets(delivery, startedAt), timestamp, delivery.body),
    };
    const result = await postJson(delivery.url, delivery.body, headers, {
      timeoutMs: this.config.NOTIFICATIONS_DELIVERY_TIMEOUT_MS,
      allowPrivate: this.config.NOTIFICATIONS_ALLOW_PRIVATE_URLS,
    });
    const success = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const next = afterAttempt(success, delivery.attempts + 1, delivery.attemptLimit, this.policy);
    this.attempts.inc({ outcome: next.kind });
    this.duration.observe(result.durationMs / 1000);
    try {
      await this.deliveries.recordAttempt({
        delivery,
        startedAt,
        durationMs: result.durationMs,
        statusCode: result.statusCode,
        error: result.error,
        outcome: next.kind === 'delivered' ? 'DELIVERED' : next.kind === 'dead' ? 'DEAD' : 'PENDING',
        retryInMs: next.kind === 'retry' ? next.delayMs : 0,
      });
    } catch (err) {
      // The lease runs out and the delivery is sent again: at-least-once, receivers dedupe.
      this.logger.event('warn', 'webhook attempt could not be recorded', {
        deliveryId: delivery.id,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    if (next.kind === 'dead') {
      this.logger.event('warn', 'webhook delivery dead', { deliveryId: delivery.id, eventId: delivery.eventId });
    }
  }
}
