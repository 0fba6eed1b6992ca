/** The steps of a chunk, in the order the consumer runs them (README: performance). */
export const CONSUMER_PHASES = ['decode', 'begin', 'dedupe', 'handlers', 'flush', 'commit', 'kafka'] as const;
export type ConsumerPhase = (typeof CONSUMER_PHASES)[number];

/**
 * Wall time per phase, summed over chunks, for benchmarks and diagnosis (pass one as the
 * consumer's `profile`; without it the consumer takes no timestamps). With several partitions
 * consumed concurrently the phases overlap, so their sum can exceed the elapsed time.
 *   decode   Avro decode of the chunk (schema lookups included)
 *   begin    pool checkout and BEGIN
 *   dedupe   the dedupe rows + stored offset statement
 *   handlers the handlers of the new events
 *   flush    deferred flushes and the outbox insert (or stored outputs)
 *   commit   COMMIT (and, in kafka-transaction mode, the Kafka transaction)
 *   kafka    heartbeat and the committed-offset hint after each chunk / fetched batch
 * Whatever the elapsed time holds beyond these is kafkajs: fetching and handing out batches.
 */
export class PhaseProfile {
  private readonly ns = new Map<ConsumerPhase, bigint>(CONSUMER_PHASES.map((p) => [p, 0n]));
  chunks = 0;

  /** Adds the time since `since` (process.hrtime.bigint()) to `phase`; returns now. */
  add(phase: ConsumerPhase, since: bigint): bigint {
    const now = process.hrtime.bigint();
    this.ns.set(phase, (this.ns.get(phase) ?? 0n) + (now - since));
    return now;
  }

  /** Milliseconds per phase. */
  millis(): Record<ConsumerPhase, number> {
    const out = {} as Record<ConsumerPhase, number>;
    for (const [phase, ns] of this.ns) out[phase] = Number(ns / 1000n) / 1000;
    return out;
  }

  /** Microseconds per event per phase, for `events` events. */
  microsPerEvent(events: number): Record<ConsumerPhase, number> {
    const out = {} as Record<ConsumerPhase, number>;
    for (const [phase, ns] of this.ns) out[phase] = Math.round(Number(ns) / events / 10) / 100;
    return out;
  }
}
