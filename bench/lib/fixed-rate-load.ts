import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Summary, summarize } from './stats';

export interface FixedRateOptions {
  url: string;
  method?: 'GET' | 'POST' | 'PUT';
  ratePerSecond: number;
  durationSeconds: number;
  /** Requests allowed in flight at once; a request due while all are busy is counted as dropped. */
  maxInFlight?: number;
  timeoutMs?: number;
  /** The i-th request's headers and body (e.g. a fresh Idempotency-Key and payment). */
  nextRequest?: (i: number) => { headers?: Record<string, string>; body?: string };
  /** Every answer, with the time it was due (performance.now() clock), e.g. to track the payment it created. */
  onResponse?: (i: number, status: number, body: string, dueAt: number) => void;
}

export interface FixedRateResult {
  offeredPerSecond: number;
  due: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  dropped: number;
  durationSeconds: number;
  /** 2xx answers per second over the run. */
  okPerSecond: number;
  /** From the moment each request was due, not when it left: a stalled server cannot hide its queue. */
  latencyMs: Summary;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An open-loop load at a fixed offered rate, evenly spaced. autocannon's rate limit sends each
 * second's quota as a burst at the start of the second (and overshoots with several
 * connections), which is the wrong shape for "p99 at 200 payments/s"; this one schedules every
 * request at its own instant and measures latency from that instant (no coordinated omission).
 */
export async function fixedRateLoad(options: FixedRateOptions): Promise<FixedRateResult> {
  const maxInFlight = options.maxInFlight ?? 512;
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const url = new URL(options.url);
  const interval = 1000 / options.ratePerSecond;
  const due = Math.floor(options.ratePerSecond * options.durationSeconds);
  const latencies: number[] = [];
  let inFlight = 0;
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let dropped = 0;

  const one = (i: number, dueAt: number) =>
    new Promise<void>((resolve) => {
      const r = options.nextRequest?.(i) ?? {};
      const headers: Record<string, string> = { ...r.headers };
      if (r.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        headers['content-length'] = String(Buffer.byteLength(r.body));
      }
      inFlight++;
      sent++;
      const finish = () => {
        inFlight--;
        resolve();
      };
      const req = http.request(url, { method: options.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          latencies.push(performance.now() - dueAt);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) ok++;
          else non2xx++;
          options.onResponse?.(i, status, Buffer.concat(chunks).toString(), dueAt);
          finish();
        });
        res.on('error', () => {
          errors++;
          finish();
        });
      });
      req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        finish();
      });
      req.end(r.body);
    });

  const pending: Promise<void>[] = [];
  const start = performance.now() + 20;
  for (let i = 0; i < due; i++) {
    const dueAt = start + i * interval;
    const wait = dueAt - performance.now();
    // Behind schedule (a slow tick): send at once rather than skip, the latency shows the delay.
    if (wait > 1) await sleep(wait);
    if (inFlight >= maxInFlight) {
      dropped++;
      continue;
    }
    pending.push(one(i, dueAt));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return {
    offeredPerSecond: options.ratePerSecond,
    due,
    sent,
    ok,
    non2xx,
    errors,
    dropped,
    durationSeconds: seconds,
    okPerSecond: seconds > 0 ? ok / seconds : NaN,
    latencyMs: summarize(latencies),
  };
}
