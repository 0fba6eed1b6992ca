export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failed: exponential (base · 2^(attempt-1))
 * capped at maxMs, with jitter over the upper half of the interval so that endpoints recovering
 * from an outage are not hit by every delivery in the same second. With the defaults (10 s,
 * 6 h cap, 15 attempts) the last attempt comes 12 to 24 hours after the first.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 40);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type AttemptOutcome = { kind: 'delivered' } | { kind: 'retry'; delayMs: number } | { kind: 'dead' };

/** What follows an attempt: 2xx delivers; anything else retries until the attempts run out. */
export function afterAttempt(
  success: boolean,
  attemptsMade: number,
  attemptLimit: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): AttemptOutcome {
  if (success) return { kind: 'delivered' };
  if (attemptsMade >= attemptLimit) return { kind: 'dead' };
  return { kind: 'retry', delayMs: retryDelayMs(attemptsMade, policy, random) };
}
