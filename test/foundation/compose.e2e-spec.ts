import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PARTITIONS, TOPIC_SPECS } from '@paystream/contracts';
import { loadConfig, sharedEnvShape } from '@paystream/platform';
import { parse } from 'yaml';
import type { z } from 'zod';

// Docker cannot run on the machines that run this suite, so docker-compose.yml is checked
// against the code it deploys instead: the apps, their ports and config shapes, the topics.
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;

const nestCli = JSON.parse(read('nest-cli.json')) as { projects: Record<string, { type: string }> };
const APPS = Object.entries(nestCli.projects)
  .filter(([, p]) => p.type === 'application')
  .map(([name]) => name)
  .sort();

/** The `defaultPort` of the app's service definition (main.ts or a file it imports). */
function defaultPortOf(app: string): number {
  const dir = path.join(ROOT, 'apps', app, 'src');
  const found = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !/\.(int-|e2e-)?spec\.ts$/.test(f))
    .flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/\bdefaultPort:\s*(\d+)/g)])
    .map((m) => Number(m[1]));
  if (found.length !== 1) throw new Error(`apps/${app}/src should declare one defaultPort, found ${found.length}`);
  return found[0];
}

async function configShapeOf(app: string): Promise<z.ZodRawShape> {
  // Loaded by path: a static import of an app from test/ is what the lint rule forbids for apps.
  const mod = (await import(path.join(ROOT, 'apps', app, 'src/config'))) as Record<string, unknown>;
  const key = Object.keys(mod).find((k) => k.endsWith('ConfigShape'));
  if (!key) throw new Error(`apps/${app}/src/config.ts exports no <app>ConfigShape`);
  return mod[key] as z.ZodRawShape;
}

function envOf(service: string): Record<string, string> {
  const env = services[service]?.environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** host port → container port, from `"host:container"` entries. */
function publishedPorts(service: string): Map<number, number> {
  return new Map(
    (services[service]?.ports ?? []).map((p) => {
      const [host, container] = p.split(':').map(Number);
      return [host, container];
    }),
  );
}

function listeners(value: string): Map<string, string> {
  return new Map(value.split(',').map((l) => l.split('://') as [string, string]));
}

describe('docker-compose.yml', () => {
  it('runs every app of nest-cli.json and apps/, from the one image, with its built entry point', () => {
    const dirs = readdirSync(path.join(ROOT, 'apps')).sort();
    expect(APPS).toEqual(dirs);
    expect(APPS).toHaveLength(6);
    for (const app of APPS) {
      const svc = services[app];
      expect(svc).toBeDefined();
      expect(svc.image).toBe('paystream-app:local');
      expect(svc.build).toBe('.');
      expect(svc.command).toEqual(['node', '--enable-source-maps', `dist/apps/${app}/src/main.js`]);
    }
  });

  it('publishes each app on the default port of its service definition, and sets PORT to it', () => {
    const ports = APPS.map(defaultPortOf);
    expect(new Set(ports).size).toBe(APPS.length);
    for (const [i, app] of APPS.entries()) {
      expect([...publishedPorts(app)]).toEqual([[ports[i], ports[i]]]);
      expect(envOf(app).PORT).toBe(String(ports[i]));
    }
  });

  it('gives each app only variables of its config shape, with values its config accepts', async () => {
    for (const app of APPS) {
      const port = defaultPortOf(app);
      const shape = await configShapeOf(app);
      const known = new Set([...Object.keys(sharedEnvShape(app, port)), ...Object.keys(shape)]);
      const env = envOf(app);
      expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
      // The same validation the process runs at start-up: it would stop the container.
      const config = loadConfig(app, port, shape, env);
      expect(config.HOST).toBe('0.0.0.0');
      expect(config.DATABASE_NAME).toBe(`paystream_${app}`);
    }
  });

  it('points every app at the compose Kafka, registry and PostgreSQL, and waits for the init', () => {
    const kafka = envOf('kafka');
    const internal = listeners(kafka.KAFKA_ADVERTISED_LISTENERS).get(kafka.KAFKA_INTER_BROKER_LISTENER_NAME);
    expect(internal).toBe('kafka:19092');
    const registryPorts = [...publishedPorts('registry').values()];
    expect(registryPorts).toHaveLength(1);
    const registryHost = `registry:${registryPorts[0]}`;
    const pg = envOf('postgres');
    for (const app of APPS) {
      const env = envOf(app);
      expect(env.KAFKA_BROKERS).toBe(internal);
      expect(env.SCHEMA_REGISTRY_URL).toBe(`http://${registryHost}/apis/ccompat/v7`);
      const db = new URL(env.DATABASE_URL);
      expect([db.hostname, db.port, db.username, db.password]).toEqual([
        'postgres',
        '5432',
        pg.POSTGRES_USER,
        pg.POSTGRES_PASSWORD,
      ]);
      expect(services[app].depends_on).toEqual({
        'stack-init': { condition: 'service_completed_successfully' },
        registry: { condition: 'service_healthy' },
      });
      expect(services[app].healthcheck?.test.join(' ')).toContain('/health/ready');
    }
  });

  it('publishes Kafka, the registry and PostgreSQL on the host at the defaults of the shared config', () => {
    const defaults = loadConfig('payment', 3000, {}, {});
    const kafkaPort = Number(defaults.KAFKA_BROKERS[0].split(':')[1]);
    const registryPort = Number(new URL(defaults.SCHEMA_REGISTRY_URL).port);
    const pgPort = Number(new URL(defaults.DATABASE_URL).port);
    expect(publishedPorts('kafka').get(kafkaPort)).toBe(kafkaPort);
    expect(publishedPorts('registry').get(registryPort)).toBe(8080);
    expect(publishedPorts('postgres').get(pgPort)).toBe(5432);
    const external = listeners(envOf('kafka').KAFKA_ADVERTISED_LISTENERS).get('EXTERNAL');
    expect(external).toBe(defaults.KAFKA_BROKERS[0]);
  });

  it('runs Kafka 4.x in KRaft mode with the broker settings the topics rely on', () => {
    expect(services.kafka.image).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    const kafka = envOf('kafka');
    expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${kafka.KAFKA_NODE_ID}@kafka:9093`);
    expect(Buffer.from(kafka.CLUSTER_ID, 'base64url')).toHaveLength(16);
    expect(Number(kafka.KAFKA_NUM_PARTITIONS)).toBe(DEFAULT_PARTITIONS);
    // Topics come from the init service only, never from a producer's typo.
    expect(kafka.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(kafka.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE).toBe('false');
    expect(services.registry.image).toMatch(/^apicurio\/apicurio-registry:3\.\d+\.\d+$/);
    expect(services.postgres.image).toBe('postgres:15');
  });

  it('creates the topics of libs/contracts/src/topics.json with a one-shot init that reads exactly its variables', () => {
    const init = services['stack-init'];
    expect(init.command).toEqual(['node', 'scripts/stack-init.mjs']);
    expect(init.image).toBe('paystream-app:local');
    expect(init.depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
    const script = read('scripts/stack-init.mjs');
    expect(script).toContain("'../libs/contracts/src/topics.json'");
    const readByScript = new Set([...script.matchAll(/process\.env\.([A-Z_]+)/g)].map((m) => m[1]));
    const env = envOf('stack-init');
    expect(Object.keys(env).filter((name) => !readByScript.has(name))).toEqual([]);
    expect(env.KAFKA_BROKERS).toBe(envOf('payment').KAFKA_BROKERS);
    expect(env.DATABASE_URL).toBe(envOf('payment').DATABASE_URL);
    expect(TOPIC_SPECS.map((t) => t.name).sort()).toEqual(['ledger-results', 'payment-events', 'risk-decisions']);
    // The image carries the script and the topics file at the same relative place.
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toContain('COPY scripts/stack-init.mjs ./scripts/stack-init.mjs');
    expect(dockerfile).toContain('COPY libs/contracts/src/topics.json ./libs/contracts/src/topics.json');
  });

  it('builds the image from node 20 with npm ci and npm run build, in stages', () => {
    const dockerfile = read('Dockerfile');
    const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => [m[1], m[2]]);
    expect(stages).toEqual([
      ['node:20-bookworm-slim', 'build'],
      ['node:20-bookworm-slim', 'runtime'],
    ]);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/);
  });
});
