import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { dlqTopic } from '@paystream/contracts';
import {
  ServiceProcess,
  TestDatabase,
  createTestDatabase,
  createTopics,
  dropTestDatabase,
  startService,
  uniqueName,
} from '@paystream/testing';

// Needs the build (`npm run build`; `npm test` builds first): the apps run from dist/ as processes.
const ROOT = path.resolve(__dirname, '../..');

interface FatalLine {
  level: string;
  service: string;
  msg: string;
  problems?: string[];
}

interface Outcome {
  exit: number | string;
  fatal?: FatalLine;
}

/** The `fatal` JSON line a service writes before it exits on a bad configuration. */
function fatalLine(output: string): FatalLine | undefined {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as FatalLine)
    .find((l) => l.level === 'fatal');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const BAD_VALUES = [
  ['payment', 'KAFKA_BROKERS', 'nohost', 'KAFKA_BROKERS.0: each broker must be host:port'],
  ['ledger', 'DATABASE_URL', 'mysql://db:3306/ledger', 'DATABASE_URL: must be a postgres:// URL'],
  ['audit', 'SCHEMA_REGISTRY_URL', 'registry', 'SCHEMA_REGISTRY_URL: Invalid url'],
  ['risk', 'LOG_LEVEL', 'loud', 'LOG_LEVEL: Invalid enum value'],
  ['notifications', 'DATABASE_POOL_SIZE', '0', 'DATABASE_POOL_SIZE: Number must be greater than or equal to 1'],
  ['analytics', 'KAFKA_SASL_MECHANISM', 'plain', 'KAFKA_SASL_USERNAME: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD'],
] as const;

describe('configuration is validated at start-up', () => {
  // Each app gets a test database name, so if validation ever let one through, nothing but a
  // paystream_test_* database would be touched (and it is dropped below).
  const databases: string[] = [];
  const started: ServiceProcess[] = [];
  // All misconfigured processes start at once (most of their time is loading modules); each test
  // then awaits its own outcome.
  const outcomes = new Map<string, Promise<Outcome>>();

  beforeAll(async () => {
    for (const [app, name, value] of BAD_VALUES) {
      const database = uniqueName(`paystream_test_cfg_${app}`);
      databases.push(database);
      const service = startService(app, await freePort(), { DATABASE_NAME: database, LOG_LEVEL: 'log', [name]: value });
      started.push(service);
      outcomes.set(
        app,
        service.exited.then((exit) => ({ exit, fatal: fatalLine(service.output.join('')) })),
      );
    }
    // startService always sets PORT, so this one is spawned by hand.
    const database = uniqueName('paystream_test_cfg_port');
    databases.push(database);
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/ledger/src/main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: 'abc', DATABASE_NAME: database },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    outcomes.set(
      'port',
      new Promise((resolve) =>
        child.once('exit', (code, signal) => resolve({ exit: code ?? signal ?? 'unknown', fatal: fatalLine(output) })),
      ),
    );
  });

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    for (const name of databases) await dropTestDatabase(name);
  });

  it.each(BAD_VALUES)(
    '%s with %s=%s exits 1 with a fatal log line naming the variable',
    async (app, _name, _value, problem) => {
      const { exit, fatal } = await outcomes.get(app)!;
      expect(exit).toBe(1);
      expect(fatal?.service).toBe(app);
      expect(fatal?.msg).toContain('invalid configuration');
      expect(fatal?.problems).toHaveLength(1);
      expect(fatal?.problems?.[0]).toContain(problem);
    },
  );

  it('ledger with PORT=abc exits 1 naming PORT', async () => {
    const { exit, fatal } = await outcomes.get('port')!;
    expect(exit).toBe(1);
    expect(fatal?.problems).toEqual(['PORT: must be a whole number']);
  });

  it('with a valid configuration the same build starts, and serves its OpenAPI document and UI', async () => {
    let database: TestDatabase | undefined;
    let deleteTopics: (() => Promise<void>) | undefined;
    try {
      // Its own topic and group, so the check neither reads the platform's topics nor joins its groups.
      const topic = uniqueName('cfg-ok-payments');
      const group = uniqueName('cfg-ok-analytics');
      deleteTopics = await createTopics([{ name: topic }, { name: dlqTopic(topic, group) }]);
      database = await createTestDatabase('cfg_ok');
      const service = startService('analytics', await freePort(), {
        DATABASE_NAME: database.name,
        DATABASE_POOL_SIZE: '2',
        KAFKA_CLIENT_ID: group,
        ANALYTICS_TOPIC: topic,
        ANALYTICS_CONSUMER_GROUP: group,
      });
      started.push(service);
      await service.waitReady(90_000);
      const doc = (await (await fetch(service.url('/docs-json'))).json()) as {
        info: { title: string };
        paths: Record<string, unknown>;
      };
      expect(doc.info.title).toBe('Paystream analytics service');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready', '/metrics']));
      const ui = await fetch(service.url('/docs'));
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toContain('text/html');
      expect((await fetch(service.url('/docs/swagger-ui-bundle.js'))).status).toBe(200);
      await service.stop();
    } finally {
      await database?.drop();
      await deleteTopics?.();
    }
  });
});
