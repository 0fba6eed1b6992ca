import net from 'node:net';
import {
  ServiceProcess,
  TEST_SERVER_URL,
  TestDatabase,
  createTestDatabase,
  startService,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { TcpProxy } from './tcp-proxy';

// Needs the build (`npm run build`; `npm test` builds first): the apps run from dist/ as processes.
const APPS = ['payment', 'ledger', 'audit', 'risk', 'notifications', 'analytics'] as const;

interface Readiness {
  status: number;
  checks: Record<string, string>;
}

async function readiness(service: ServiceProcess): Promise<Readiness> {
  const res = await fetch(service.url('/health/ready'));
  const body = (await res.json()) as { checks?: Record<string, string> };
  return { status: res.status, checks: body.checks ?? {} };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function viaProxy(proxyPort: number): string {
  const url = new URL(TEST_SERVER_URL);
  url.hostname = '127.0.0.1';
  url.port = String(proxyPort);
  return url.toString();
}

describe('readiness follows the database', () => {
  // The shared PostgreSQL stays up for everyone else: each app reaches it through its own proxy,
  // and the test cuts that proxy instead.
  const pgPort = Number(new URL(TEST_SERVER_URL).port || 5432);

  it.each(APPS)(
    '%s: /health/ready is 503 while its database is unreachable and 200 again after, live and metrics keep answering',
    async (app) => {
      const proxy = new TcpProxy(pgPort, new URL(TEST_SERVER_URL).hostname);
      let database: TestDatabase | undefined;
      let service: ServiceProcess | undefined;
      try {
        database = await createTestDatabase(`ready_${app}`);
        await proxy.start();
        service = startService(app, await freePort(), {
          DATABASE_URL: viaProxy(proxy.port),
          DATABASE_NAME: database.name,
          DATABASE_POOL_SIZE: '2',
          KAFKA_CLIENT_ID: uniqueName(`readiness-${app}`),
        });
        await service.waitReady(90_000);
        const s = service;

        const before = await readiness(s);
        expect(before).toEqual({ status: 200, checks: { database: 'up', kafka: 'up' } });
        expect(proxy.accepted).toBeGreaterThan(0);

        const metrics = await fetch(s.url('/metrics'));
        expect(metrics.status).toBe(200);
        expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
        const text = await metrics.text();
        expect(text).toMatch(/^# HELP process_cpu_user_seconds_total /m);
        expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
        expect(text).toContain(`service="${app}"`);

        await proxy.cut();
        const down = await waitFor(
          `${app} to turn unready`,
          async () => {
            const r = await readiness(s);
            return r.status === 503 ? r : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 250 },
        );
        expect(down.checks.database).toMatch(/^down: /);
        expect(down.checks.kafka).toBe('up');
        // Liveness is about the process, not its dependencies: an orchestrator must not restart it.
        expect((await fetch(s.url('/health/live'))).status).toBe(200);
        expect((await fetch(s.url('/metrics'))).status).toBe(200);

        await proxy.restore();
        const up = await waitFor(
          `${app} to turn ready again`,
          async () => {
            const r = await readiness(s);
            return r.status === 200 ? r : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 250 },
        );
        expect(up.checks).toEqual({ database: 'up', kafka: 'up' });
        expect(s.child.exitCode).toBeNull();
      } finally {
        const exit = await service?.stop();
        await proxy.cut();
        await database?.drop();
        // A graceful shutdown, also after the outage: Nest's shutdown hooks close everything and then
        // re-raise SIGTERM on the process, so the exit is either code 0 or that signal (never the
        // SIGKILL that stop() falls back to after its timeout).
        if (service) expect([0, 'SIGTERM']).toContain(exit);
      }
    },
    240_000,
  );
});
