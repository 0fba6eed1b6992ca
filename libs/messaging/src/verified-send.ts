import { Admin, Kafka, Message, Partitioners, PartitionMetadata, RecordMetadata } from 'kafkajs';

/**
 * kafkajs 2.2.4 can resolve a multi-partition send after a leader failover without having
 * written the partitions that moved to a broker which had already answered (it keeps each
 * broker's response across retries; reproduced on the 3-broker cluster: offsets 20/20/10 after
 * a `send` that "succeeded"). Publishing code therefore assigns every message its partition
 * itself, with the same murmur2 partitioner kafkajs uses for keyed messages, and fails the send
 * when the response does not acknowledge every partition it targeted. The caller retries; the
 * duplicates that retry may cause carry the same eventId and are absorbed by consumers.
 */
export class VerifiedSend {
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly metadata = new Map<string, { partitions: PartitionMetadata[]; at: number }>();
  /** Shared by concurrent callers (partitions consumed concurrently), so only one admin connects. */
  private admin?: Promise<Admin>;

  constructor(
    private readonly kafka: Kafka,
    private readonly metadataTtlMs = 60_000,
  ) {}

  /** Returns the topic messages with explicit partitions, and the set each topic targets. */
  async assign(topicMessages: { topic: string; messages: Message[] }[]) {
    const targets = new Map<string, Set<number>>();
    const assigned: { topic: string; messages: Message[] }[] = [];
    for (const { topic, messages } of topicMessages) {
      const partitionMetadata = await this.partitionsOf(topic);
      const set = new Set<number>();
      const withPartitions = messages.map((message) => {
        const partition = this.partitioner({ topic, partitionMetadata, message });
        set.add(partition);
        return { ...message, partition };
      });
      targets.set(topic, set);
      assigned.push({ topic, messages: withPartitions });
    }
    return { topicMessages: assigned, targets };
  }

  /** Throws unless every targeted partition was acknowledged without an error code. */
  static verify(targets: Map<string, Set<number>>, acks: RecordMetadata[]): void {
    const acked = new Set(acks.filter((a) => a.errorCode === 0).map((a) => `${a.topicName}:${a.partition}`));
    const missing: string[] = [];
    for (const [topic, partitions] of targets) {
      for (const p of partitions) if (!acked.has(`${topic}:${p}`)) missing.push(`${topic}:${p}`);
    }
    if (missing.length) {
      const err = new Error(`broker acknowledged the send without partitions ${missing.join(', ')}; retrying`);
      (err as Error & { retriable: boolean }).retriable = true;
      throw err;
    }
  }

  /** Forget cached partition counts (after an error: the topic may have changed). */
  invalidate(): void {
    this.metadata.clear();
  }

  async close(): Promise<void> {
    const admin = await this.admin?.catch(() => undefined);
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    const cached = this.metadata.get(topic);
    if (cached && Date.now() - cached.at < this.metadataTtlMs) return cached.partitions;
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      // A failed connect is tried again by the next call.
      this.admin.catch(() => (this.admin = undefined));
    }
    const { topics } = await (await this.admin).fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions ?? [];
    if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions (does it exist?)`);
    this.metadata.set(topic, { partitions, at: Date.now() });
    return partitions;
  }
}
