import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress } from '../webhooks/url-guard';

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

// Enough of the response to show in the attempt log; the rest is drained and dropped.
const MAX_ERROR_BODY = 200;

/**
 * One POST with a hard deadline over the whole exchange (connect, send, response headers and
 * body). The connection goes through guardedLookup: the socket opens only to an address that
 * passes the SSRF check at that moment. Redirects are not followed (a 3xx is a failure), since
 * following one would leave the checked host.
 */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: SendOptions,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ statusCode, error, durationMs: elapsed() });
    };
    const target = new URL(url);
    // Sockets to an IP literal skip the lookup, so the guard checks those here.
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !options.allowPrivate && isPrivateAddress(literal)) {
      resolve({ statusCode: null, error: `WEBHOOK_URL_FORBIDDEN: refusing to connect to ${literal}`, durationMs: 0 });
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Paystream-Webhooks/1',
        },
        lookup: guardedLookup(options.allowPrivate),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const code = res.statusCode ?? null;
          const ok = code !== null && code >= 200 && code < 300;
          const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY);
          finish(code, ok ? null : `HTTP ${code}${text ? `: ${text}` : ''}`);
        });
        res.on('error', (err) => finish(res.statusCode ?? null, err.message));
      },
    );
    const timer = setTimeout(() => {
      finish(null, `timeout after ${options.timeoutMs} ms`);
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish(null, err.code ? `${err.code}: ${err.message}` : err.message),
    );
    req.end(body);
  });
}
