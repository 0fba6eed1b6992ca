/**
 * A fix for kafkajs 2.2.4's request queue, applied once per process when libs/messaging loads.
 *
 * kafkajs re-arms a timer after every check of a connection's pending requests. With nothing
 * pending and no broker throttling, the delay it computes is negative (`throttledUntil` is -1), so
 * every connection that has answered one request keeps a 1 ms timer loop running for the life of
 * the process (kafkajs issues #1556 and #1704; the fix proposed upstream is unmerged). On this
 * platform that was ~1,200 event-loop wake-ups a second in an idle consumer and a share of each
 * service's CPU under load (docs/design-notes.md, "Kafka client").
 *
 * The replacement arms the timer only while requests wait: `push` arms it when it queues one,
 * and a fulfilled or timed-out request checks the queue itself. Behaviour with requests pending is
 * unchanged (wait out the throttle, or re-check after 10 ms).
 */

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' own re-check interval while requests are pending (CHECK_PENDING_REQUESTS_INTERVAL). */
const RECHECK_MS = 10;
const PATCHED = Symbol.for('paystream.kafkajs.requestQueuePatched');

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttledFor = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttledFor > 0 ? throttledFor : RECHECK_MS,
  );
}

/** Idempotent; returns false when the kafkajs internals are not the expected shape (no patch). */
export function patchKafkajsRequestQueue(): boolean {
  // kafkajs publishes its sources without an exports map, so the class is reachable by path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('kafkajs/src/network/requestQueue') as { prototype?: Record<PropertyKey, unknown> };
  const proto = mod.prototype;
  if (!proto || typeof proto.scheduleCheckPendingRequests !== 'function') return false;
  if (proto[PATCHED]) return true;
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  proto[PATCHED] = true;
  return true;
}

patchKafkajsRequestQueue();
