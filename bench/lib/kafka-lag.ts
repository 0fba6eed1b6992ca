import { Admin, Kafka } from 'kafkajs';

/**
 * A consumer group's lag on `topic` from Kafka's committed offsets (end offset minus committed,
 * per partition; a partition without a commit counts from its start). The platform's consumers
 * keep their true position in PostgreSQL and commit to Kafka only as a hint, so this is an upper
 * bound that trails the real position by at most one commit.
 */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  return (await groupPosition(admin, groupId, [topic])).lag;
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

export interface GroupPosition {
  /** Sum of the topics' end offsets. */
  end: number;
  /** Sum of the group's committed offsets (a partition without a commit counts as its start). */
  committed: number;
  lag: number;
}

/**
 * A group's position over several topics at once (a group like audit reads three): the sums of
 * end and committed offsets, so that committed deltas give the group's throughput and end deltas
 * the topics' input rate. Same committed-offset caveat as groupLag.
 */
export async function groupPosition(admin: Admin, groupId: string, topics: readonly string[]): Promise<GroupPosition> {
  const [ends, committed] = await Promise.all([
    Promise.all(topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) }))),
    admin.fetchOffsets({ groupId, topics: [...topics] }),
  ]);
  let end = 0;
  let done = 0;
  for (const { topic, offsets } of ends) {
    const at = new Map(
      (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    );
    for (const p of offsets) {
      const c = at.get(p.partition) ?? -1;
      end += Number(p.high);
      done += c >= 0 ? c : Number(p.low);
    }
  }
  return { end, committed: done, lag: end - done };
}

/**
 * Commits the current end of every partition of `topics` for `groupId`, which must have no
 * running member, so that its first member starts there (e.g. a fresh platform on shared topics).
 * One group join for all topics (kafkajs' admin.setOffsets joins once per topic, seconds each):
 * the consumer pauses everything, seeks every partition to its end (seek commits the position)
 * and leaves after its first fetch round.
 */
export async function positionGroupAtEnd(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await Promise.all(
    topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
  );
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics] });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.FETCH, () => resolve());
      consumer.run({ autoCommit: true, eachBatchAutoResolve: false, eachBatch: () => Promise.resolve() }).catch(reject);
      consumer.pause(topics.map((topic) => ({ topic })));
      for (const { topic, offsets } of ends) {
        for (const p of offsets) consumer.seek({ topic, partition: p.partition, offset: p.high });
      }
    });
  } finally {
    await consumer.disconnect();
  }
}
