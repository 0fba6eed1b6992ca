import { Admin } from 'kafkajs';

/**
 * A consumer group's lag on `topic` from Kafka's committed offsets (end offset minus committed,
 * per partition; a partition without a commit counts from its start). The platform's consumers
 * keep their true position in PostgreSQL and commit to Kafka only as a hint, so this is an upper
 * bound that trails the real position by at most one commit.
 */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = new Map<number, number>();
  for (const p of committed.find((t) => t.topic === topic)?.partitions ?? []) {
    done.set(p.partition, Number(p.offset));
  }
  return ends.reduce((lag, p) => {
    const at = done.get(p.partition) ?? -1;
    return lag + Number(p.high) - (at >= 0 ? at : Number(p.low));
  }, 0);
}

/**
 * Polls `probe` every `intervalMs` until `stop()` and keeps the largest value seen: e.g. the
 * maximum lag of a group during a load run. Probe errors are counted, not thrown.
 */
export class MaxSampler {
  private maxValue = 0;
  private samples = 0;
  private errors = 0;
  private readonly timer: NodeJS.Timeout;
  private pending?: Promise<void>;

  constructor(
    private readonly probe: () => Promise<number>,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => {
      if (this.pending) return;
      this.pending = this.probe()
        .then((v) => {
          this.samples++;
          if (v > this.maxValue) this.maxValue = v;
        })
        .catch(() => {
          this.errors++;
        })
        .finally(() => (this.pending = undefined));
    }, intervalMs);
  }

  async stop(): Promise<{ max: number; samples: number; errors: number }> {
    clearInterval(this.timer);
    await this.pending;
    return { max: this.maxValue, samples: this.samples, errors: this.errors };
  }
}
