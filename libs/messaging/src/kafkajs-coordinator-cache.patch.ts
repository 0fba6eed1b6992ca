/**
 * A coordinator cache for kafkajs 2.2.4, applied once per process when libs/messaging loads.
 *
 * kafkajs asks the cluster for a coordinator (FindCoordinator) before every coordinator request
 * and keeps no answer. A transactional producer's transaction therefore costs four lookups besides
 * its five real requests: one each for AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit (the
 * group's coordinator) and EndTxn. Measured on the platform at 50 payments/s, the risk service sent
 * 155 FindCoordinator requests a second for 42 transactions (docs/design-notes.md, "Per-hop
 * latency").
 *
 * The replacement remembers the coordinator's node id per (coordinator type, key) for
 * `COORDINATOR_TTL_MS` and returns that broker while it is in the cluster's metadata. Any lookup
 * that finds no such broker, and every answer after the time to live, goes to the cluster again.
 * A coordinator that moved is therefore used for at most that long: requests to it fail with
 * NOT_COORDINATOR, which fails the transaction or the commit, and the caller's retry finds the
 * new one once the entry expires (the exactly-once runtime retries a failed chunk with backoff).
 */

interface Broker {
  nodeId?: number;
}

interface ClusterInternals {
  findGroupCoordinator(args: { groupId: string; coordinatorType?: number }): Promise<Broker>;
  findBroker(args: { nodeId: number | string }): Promise<Broker>;
}

/** How long a coordinator's node id is trusted without asking the cluster again. */
export const COORDINATOR_TTL_MS = 1000;
const PATCHED = Symbol.for('paystream.kafkajs.coordinatorCachePatched');
const cacheOf = new WeakMap<object, Map<string, { nodeId: number; until: number }>>();

/** Idempotent; returns false when the kafkajs internals are not the expected shape (no patch). */
export function patchKafkajsCoordinatorCache(): boolean {
  // kafkajs publishes its sources without an exports map, so the class is reachable by path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Cluster = require('kafkajs/src/cluster') as { prototype?: Record<PropertyKey, unknown> };
  const proto = Cluster.prototype;
  if (!proto || typeof proto.findGroupCoordinator !== 'function' || typeof proto.findBroker !== 'function')
    return false;
  if (proto[PATCHED]) return true;
  const lookup = proto.findGroupCoordinator as ClusterInternals['findGroupCoordinator'];
  proto.findGroupCoordinator = async function (
    this: ClusterInternals,
    args: { groupId: string; coordinatorType?: number },
  ): Promise<Broker> {
    let cache = cacheOf.get(this);
    if (!cache) cacheOf.set(this, (cache = new Map<string, { nodeId: number; until: number }>()));
    const key = `${args.coordinatorType ?? 0}\u0000${args.groupId}`;
    const known = cache.get(key);
    if (known && known.until > Date.now()) {
      const broker = await this.findBroker({ nodeId: known.nodeId }).catch(() => undefined);
      if (broker) return broker;
      cache.delete(key);
    }
    const broker = await lookup.call(this, args);
    if (typeof broker.nodeId === 'number')
      cache.set(key, { nodeId: broker.nodeId, until: Date.now() + COORDINATOR_TTL_MS });
    return broker;
  };
  proto[PATCHED] = true;
  return true;
}

patchKafkajsCoordinatorCache();
