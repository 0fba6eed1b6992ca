import { PermanentError } from './ports';

/**
 * How the runtime treats an error (DESIGN.md §5, STYLE.md: transient → retry, permanent → DLQ):
 * - transient: the database or broker is away or a transaction lost a race; the chunk is rolled
 *   back and retried with backoff, the offset does not move;
 * - permanent: the event can never be applied; it goes to the DLQ and the partition moves on;
 * - unknown: anything else (a bug, an unexpected library error). Retried like a transient error
 *   up to `UNKNOWN_ERROR_ATTEMPTS` times, then treated as permanent (README: failure policy).
 */
export type FailureKind = 'transient' | 'permanent' | 'unknown';

export interface Failure {
  kind: FailureKind;
  /** Stable code for headers, logs and metrics: a SQLSTATE, PermanentError code, errno, … */
  code: string;
  message: string;
}

export const UNKNOWN_ERROR_ATTEMPTS = 5;

// SQLSTATEs that mean "try again": serialization failure, deadlock, admin shutdown / crash /
// cannot connect now (57P01..57P03), too many connections, lock timeout, query canceled (a
// statement_timeout under load).
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '55P03', '57014']);
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|Client was closed|terminating connection|not queryable|Query runner already released/i;

interface ErrorLike {
  code?: unknown;
  retriable?: unknown;
  name?: unknown;
  message?: unknown;
  driverError?: unknown;
}

function asErrorLike(err: unknown): ErrorLike {
  return err !== null && typeof err === 'object' ? err : {};
}

/** The error's `code` (a SQLSTATE, an errno, …), or the driver error's under a TypeORM error. */
export function errorCode(err: unknown): string | undefined {
  const e = asErrorLike(err);
  // TypeORM copies the driver error's fields onto QueryFailedError; read both to be safe.
  const driver = asErrorLike(e.driverError);
  return typeof e.code === 'string' ? e.code : typeof driver.code === 'string' ? driver.code : undefined;
}

export function classifyError(err: unknown): Failure {
  const e = asErrorLike(err);
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (err instanceof PermanentError) return { kind: 'permanent', code: err.code, message };
  const rawCode = errorCode(err);
  if (rawCode && /^[0-9A-Z]{5}$/.test(rawCode)) {
    if (TRANSIENT_SQLSTATES.has(rawCode) || rawCode.startsWith('08'))
      return { kind: 'transient', code: rawCode, message };
    // Data exceptions (22) and integrity constraint violations (23) raised by a handler's own
    // statements: the event breaks an invariant and will do so on every attempt.
    if (rawCode.startsWith('22') || rawCode.startsWith('23')) return { kind: 'permanent', code: rawCode, message };
  }
  if (rawCode && NETWORK_ERRNOS.has(rawCode)) return { kind: 'transient', code: rawCode, message };
  if (CONNECTION_MESSAGES.test(message)) return { kind: 'transient', code: rawCode ?? 'CONNECTION', message };
  // kafkajs marks broker-side and network errors it considers recoverable.
  if (e.retriable === true) {
    return { kind: 'transient', code: typeof e.name === 'string' ? e.name : 'KAFKA_RETRIABLE', message };
  }
  if (typeof e.name === 'string' && /^Kafka/.test(e.name)) {
    // A non-retriable kafkajs error in the runtime's own produce/commit path (not the event's fault).
    return { kind: 'transient', code: e.name, message };
  }
  return { kind: 'unknown', code: rawCode ?? (typeof e.name === 'string' ? e.name : 'UNKNOWN'), message };
}

/** Capped exponential backoff with full jitter: attempt 1 → up to `baseMs`, doubling to `maxMs`. */
export function backoffDelay(
  attempt: number,
  baseMs = 100,
  maxMs = 10_000,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A sleep that ends early when `signal` aborts (shutdown must not wait out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits for `work` for at most `ms`; true if it settled in time. Shutdown uses it for waits on
 * the broker, which with the broker away would otherwise last through every retry. The work
 * itself goes on (and a rejection of it is swallowed): the caller decides what to abandon.
 */
export async function settlesWithin(work: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!work) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects as soon as `signal` aborts (the work goes on unobserved): for waits shutdown ends. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('stopping'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('stopping'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
