import {
  ContractTopics,
  ServiceProcess,
  TEST_SERVER_URL,
  TestDatabase,
  contractTopicEnv,
  createContractTopics,
  createTestDatabase,
  freePort,
  startService,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { TcpProxy } from './tcp-proxy';

// Needs the build (`npm run build`; `npm test` builds first): the apps run from dist/ as processes.
const APPS = ['payment', 'ledger', 'audit', 'risk', 'notifications', 'analytics'] as const;
type App = (typeof APPS)[number];

/** The variable naming each app's consumer group. */
const GROUP_VARIABLE: Record<App, string> = {
  payment: 'PAYMENT_CONSUMER_GROUP',
  ledger: 'LEDGER_CONSUMER_GROUP',
  audit: 'AUDIT_CONSUMER_GROUP',
  risk: 'RISK_CONSUMER_GROUP',
  notifications: 'NOTIFICATIONS_CONSUMER_GROUP',
  analytics: 'ANALYTICS_CONSUMER_GROUP',
};

interface Readiness {
  status: number;
  checks: Record<string, string>;
}

async function readiness(service: ServiceProcess): Promise<Readiness> {
  const res = await fetch(service.url('/health/ready'));
  const body = (await res.json()) as { checks?: Record<string, string> };
  return { status: res.status, checks: body.checks ?? {} };
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

  // The six apps run side by side (each with its own proxy, database, topics and port): most of
  // a case is waiting for a start-up or a state change, not CPU, so one after the other only
  // added their waits up.
  it.concurrent.each(APPS)(
    '%s: /health/ready is 503 while its database is unreachable and 200 again after, live and metrics keep answering',
    async (app) => {
      const proxy = new TcpProxy(pgPort, new URL(TEST_SERVER_URL).hostname);
      let database: TestDatabase | undefined;
      let service: ServiceProcess | undefined;
      let topics: ContractTopics | undefined;
      try {
        // Its own topics and group: the test neither reads the platform's topics nor joins its groups.
        topics = await createContractTopics(`ready-${app}`);
        database = await createTestDatabase(`ready_${app}`);
        await proxy.start();
        service = startService(app, await freePort(), {
          DATABASE_URL: viaProxy(proxy.port),
          DATABASE_NAME: database.name,
          DATABASE_POOL_SIZE: '2',
          KAFKA_CLIENT_ID: uniqueName(`readiness-${app}`),
          [GROUP_VARIABLE[app]]: uniqueName(`ready-${app}`),
          ...contractTopicEnv(topics),
        });
        await service.waitReady(90_000);
        const s = service;

        const before = await readiness(s);
        expect(before.status).toBe(200);
        expect(before.checks).toMatchObject({ database: 'up', kafka: 'up' });
        const others = Object.keys(before.checks).filter((c) => c !== 'database');
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
        // Only the database is away: Kafka stays up (other checks may depend on the database).
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
        expect(Object.keys(up.checks).sort()).toEqual(['database', ...others].sort());
        expect(Object.values(up.checks).every((c) => c === 'up')).toBe(true);
        expect(s.child.exitCode).toBeNull();
      } finally {
        const exit = await service?.stop();
        await proxy.cut();
        await database?.drop();
        await topics?.delete();
        // A graceful shutdown, also after the outage: runService's shutdown closes everything and
        // exits 0 (never 1, a failed step, nor the SIGKILL that stop() falls back to after its
        // timeout). The process's last lines say why otherwise.
        if (service) {
          const lastLines = exit === 0 ? '' : service.output.join('').slice(-4000);
          expect({ exit, lastLines }).toEqual({ exit: 0, lastLines: '' });
        }
      }
    },
    240_000,
  );
});
