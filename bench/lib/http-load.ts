import autocannon from 'autocannon';
import { Summary, summarize } from './stats';

export interface HttpLoadOptions {
  url: string;
  /** Concurrent connections (the concurrency of the load). */
  connections: number;
  durationSeconds: number;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  /** Called for every request: per-request bodies and headers (e.g. a fresh Idempotency-Key). */
  nextRequest?: () => { headers?: Record<string, string>; body?: string };
  timeoutSeconds?: number;
}

export interface HttpLoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  /** Successful (2xx) responses per second. */
  rps: number;
  /** Latency of every response in milliseconds (all statuses). */
  latencyMs: Summary;
}

/**
 * Closed-loop load (each connection sends its next request when the previous one answered): the
 * maximum a service sustains at a concurrency. autocannon with exact percentiles: it summarises
 * latency without p95, so every response's time is collected here and summarised with the same
 * code as every other benchmark. For a fixed offered rate use fixedRateLoad().
 */
export async function httpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const latencies: number[] = [];
  const next = options.nextRequest;
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: options.timeoutSeconds ?? 10,
    method: options.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body,
    requests: next
      ? [
          {
            setupRequest: (req) => {
              const r = next();
              return { ...req, headers: { ...req.headers, ...r.headers }, body: r.body ?? req.body };
            },
          },
        ]
      : undefined,
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
  });
  const result = await instance;
  const ok = result['2xx'];
  return {
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    rps: result.duration > 0 ? ok / result.duration : NaN,
    latencyMs: summarize(latencies),
  };
}
