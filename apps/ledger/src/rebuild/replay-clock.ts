import type { Metrics } from '@paystream/observability';

const CONSUMED = 'messaging_consumer_consumed_total';
const TICK_MS = 100;

/**
 * Watches the runtime's `consumed` counter of a replay member's group: how many records it
 * fetched so far (the progress bar), told to `onChange` when it moved. The handler cannot tell:
 * it sees only the types the replay applies, and the first payment.settled may sit deep in the
 * topic.
 */
export class ReplayClock {
  private consumed = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly metrics: Metrics,
    private readonly group: string,
    private readonly topic: string,
    private readonly onChange: (consumed: number) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Stops watching, after one last reading (the progress bar's final line). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.tick();
  }

  private async tick(): Promise<void> {
    const metric = this.metrics.registry.getSingleMetric(CONSUMED);
    if (!metric) return;
    const { values } = await metric.get();
    const mine = values.find((v) => v.labels.group === this.group && v.labels.topic === this.topic);
    const consumed = mine?.value ?? 0;
    if (consumed !== this.consumed) {
      this.consumed = consumed;
      this.onChange(consumed);
    }
  }
}
