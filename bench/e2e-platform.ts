/**
 * The whole platform for the end-to-end benchmark (bench/e2e.bench.ts): the six built services as
 * processes on fresh databases and on this run's own copies of the three contract topics
 * (libs/testing createContractTopics: same partitions and config), synthetic funded accounts, and
 * a watcher that timestamps each payment's final event as it arrives on payment-events. Two runs
 * (or a run and `npm start`) on one broker never see each other's events.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Admin, Consumer, Kafka } from 'kafkajs';
import { TOPICS } from '@paystream/contracts';
import { ContractTopics, contractTopicEnv } from '@paystream/testing';
import { SchemaRegistryCodec, headerString } from '@paystream/messaging';
import {
  AppProcess,
  BENCH_REGISTRY_URL,
  BENCH_SERVER_URL,
  BenchDatabase,
  Progress,
  benchPgClient,
  createBenchDatabase,
  freePort,
  onCleanup,
  positionGroupAtEnd,
  startApp,
} from './lib';

export const SERVICES = ['payment', 'risk', 'ledger', 'audit', 'notifications', 'analytics'] as const;
export type Service = (typeof SERVICES)[number];

type TopicKey = keyof typeof TOPICS;

/** Each service's consumer group variable and the (contract) topics its group reads (DESIGN.md §3). */
const GROUPS: Record<Service, { variable: string; topics: TopicKey[] }> = {
  payment: { variable: 'PAYMENT_CONSUMER_GROUP', topics: ['riskDecisions', 'ledgerResults'] },
  risk: { variable: 'RISK_CONSUMER_GROUP', topics: ['paymentEvents'] },
  ledger: { variable: 'LEDGER_CONSUMER_GROUP', topics: ['paymentEvents'] },
  audit: { variable: 'AUDIT_CONSUMER_GROUP', topics: ['paymentEvents', 'riskDecisions', 'ledgerResults'] },
  notifications: { variable: 'NOTIFICATIONS_CONSUMER_GROUP', topics: ['paymentEvents'] },
  analytics: { variable: 'ANALYTICS_CONSUMER_GROUP', topics: ['paymentEvents'] },
};

export interface PlatformGroup {
  service: Service;
  groupId: string;
  topics: string[];
  /**
   * The lag an idle group still shows: one per partition of its topics, since a transactional
   * topic (risk-decisions) ends with a commit marker that a read_committed consumer never commits
   * past. Lag at or under this counts as caught up.
   */
  idleLag: number;
}

export interface Platform {
  apps: Map<Service, AppProcess>;
  /** This run's copies of the contract topics. */
  topics: ContractTopics;
  groups: PlatformGroup[];
  databases: BenchDatabase[];
  url(service: Service, path: string): string;
  /** PostgreSQL backends serving this platform's databases right now. */
  backendPids(): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startPlatform(
  kafka: Kafka,
  admin: Admin,
  run: string,
  topics: ContractTopics,
  progress: Progress,
  extraEnv: Record<string, string>,
): Promise<Platform> {
  const apps = new Map<Service, AppProcess>();
  const databases: BenchDatabase[] = [];
  const partitions = new Map<string, number>();
  for (const key of Object.keys(TOPICS) as TopicKey[])
    partitions.set(topics[key], (await admin.fetchTopicOffsets(topics[key])).length);
  const groups = SERVICES.map((service) => {
    const names = GROUPS[service].topics.map((key) => topics[key]);
    return {
      service,
      groupId: `${run}_${service}`,
      topics: names,
      idleLag: names.reduce((sum, t) => sum + (partitions.get(t) ?? 0), 0),
    };
  });
  const pg = benchPgClient(BENCH_SERVER_URL, 'e2e');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...apps.values()].map((a) => a.stop()));
    await pg.end().catch(() => undefined);
    for (const db of databases) if (db) await db.drop().catch(() => undefined);
  };
  const unregister = onCleanup(stop);
  const platform: Platform = {
    apps,
    topics,
    groups,
    databases,
    url: (service, path) => apps.get(service)!.url(path),
    backendPids: async () => {
      const { rows } = await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)', [
        databases.filter(Boolean).map((d) => d.name),
      ]);
      return rows.map((r) => r.pid);
    },
    stop: async () => {
      unregister();
      await stop();
    },
  };
  try {
    await pg.connect();
    await progress.step("fresh databases and consumer groups at the topics' end", () =>
      Promise.all([
        ...groups.map((g) => positionGroupAtEnd(kafka, g.groupId, g.topics)),
        ...SERVICES.map(async (service, i) => (databases[i] = await createBenchDatabase(`e2e_${service}`))),
      ]),
    );
    // allSettled: when one fails, the others must be ready (and in `apps`) before stop() runs.
    const starts = await progress.step('starting the six services', () =>
      Promise.allSettled(
        SERVICES.map(async (service, i) => {
          const app = await startApp(service, await freePort(), {
            ...extraEnv,
            ...contractTopicEnv(topics),
            DATABASE_URL: BENCH_SERVER_URL,
            DATABASE_NAME: databases[i].name,
            [GROUPS[service].variable]: `${run}_${service}`,
            PAYMENT_CONSUMER_FROM_BEGINNING: 'false',
          });
          apps.set(service, app);
        }),
      ),
    );
    const failed = starts.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return platform;
  } catch (err) {
    await platform.stop();
    throw err;
  }
}

export type FinalType = 'payment.settled' | 'payment.failed' | 'payment.rejected';
const FINAL_TYPES = new Set<string>(['payment.settled', 'payment.failed', 'payment.rejected']);

/** The steps of a payment the watcher timestamps, in lifecycle order (DESIGN.md §4). */
export const STEPS = [
  'payment.initiated',
  'risk.assessed',
  'payment.authorized',
  'ledger.posted',
  'payment.settled',
] as const;
export type Step = (typeof STEPS)[number];
const STEP_SET = new Set<string>(STEPS);

/**
 * Every payment's events as they arrive on the run's three contract topics: one consumer of its own
 * (positioned at the end) that reads the `type` header of each record and decodes only the
 * lifecycle events, for their paymentId, timestamped on arrival. Cheaper than polling GET per
 * payment; it sees what a downstream reader sees, and splits POST → SETTLED into its hops.
 */
export class PaymentWatcher {
  /** Final outcome per paymentId. */
  readonly outcomes = new Map<string, { type: FinalType; at: number }>();
  /** Arrival time (performance.now()) of each lifecycle step per paymentId. */
  readonly steps = new Map<string, Partial<Record<Step, number>>>();
  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, groupId: string, contractTopics: ContractTopics): Promise<PaymentWatcher> {
    const codec = await SchemaRegistryCodec.create({ url: BENCH_REGISTRY_URL });
    const topics = [contractTopics.paymentEvents, contractTopics.riskDecisions, contractTopics.ledgerResults];
    await positionGroupAtEnd(kafka, groupId, topics);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, allowAutoTopicCreation: false });
    const watcher = new PaymentWatcher(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    void consumer.run({
      // Nothing reads the watcher's offsets: committing them after every batch (kafkajs' default)
      // cost the broker ~100 OffsetCommit requests a second, load that was not the platform's.
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        const at = performance.now();
        for (const m of batch.messages) {
          const type = headerString(m.headers, 'type');
          if (!type || !m.value || !(STEP_SET.has(type) || FINAL_TYPES.has(type))) continue;
          const { paymentId } = (await codec.decode(batch.topic, m.value)) as { paymentId: string };
          if (STEP_SET.has(type)) {
            const steps = watcher.steps.get(paymentId) ?? {};
            steps[type as Step] ??= at;
            watcher.steps.set(paymentId, steps);
          }
          if (FINAL_TYPES.has(type)) watcher.outcomes.set(paymentId, { type: type as FinalType, at });
        }
      },
    });
    await joined;
    return watcher;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

export interface Accounts {
  funding: string;
  debtors: string[];
}

/**
 * One set-up request (accounts, rules, funding), retried on what a loaded machine produces: a
 * refused or timed-out connection, 409 (same Idempotency-Key still in flight), 429 or 5xx. A retry
 * of a POST /v1/payments reuses its Idempotency-Key, so it never pays twice.
 */
async function send(method: 'POST' | 'PUT', url: string, body: unknown, headers: Record<string, string> = {}) {
  for (let attempt = 1; ; attempt++) {
    let failure: string;
    try {
      const res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status < 300) return JSON.parse(text) as unknown;
      failure = `${res.status}: ${text}`;
      if (res.status !== 409 && res.status !== 429 && res.status < 500) break;
    } catch (err) {
      failure = String(err);
    }
    if (attempt >= 6) throw new Error(`${method} ${url} failed ${attempt} times, last: ${failure}`);
    await new Promise((r) => setTimeout(r, 250 * attempt));
  }
  throw new Error(`${method} ${url} refused`);
}

/** Runs `task(i)` for i in 0..count-1 with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * Rules for a synthetic load: the single-payment limit stays, the velocity window (20 payments per
 * debtor in 10 minutes by default) and the new-account limit would reject a load generator's
 * traffic, so they are lifted. Risk still evaluates every rule (the velocity query included).
 */
export function benchRiskRules() {
  return {
    amountLimit: { default: '10000.00', perCurrency: {} },
    velocity: { windowSeconds: 600, maxCount: 1_000_000, maxAmount: '999999999999.00' },
    blockedAccounts: [],
    newAccount: { firstPayments: 0, limit: '1000.00' },
  };
}

/**
 * One overdraft funding account and `count` debtors (synthetic ids, no card numbers), each funded
 * with 5000.00 EUR through the platform itself (payments funding → debtor, waited for until SETTLED).
 */
export async function createAccounts(
  platform: Platform,
  watcher: PaymentWatcher,
  count: number,
  progress: Progress,
): Promise<Accounts> {
  await send('PUT', platform.url('risk', '/v1/risk/rules'), benchRiskRules());
  const tag = randomUUID().slice(0, 8);
  const accounts: Accounts = {
    funding: `bench-${tag}-funding`,
    debtors: Array.from({ length: count }, (_, i) => `bench-${tag}-d${i}`),
  };
  const ledger = platform.url('ledger', '/v1/accounts');
  await send('POST', ledger, { id: accounts.funding, currency: 'EUR', allowOverdraft: true, name: 'bench funding' });
  await pool(count, 16, async (i) => {
    await send('POST', ledger, { id: accounts.debtors[i], currency: 'EUR', name: 'bench debtor' });
  });
  const ids: string[] = [];
  await pool(count, 16, async (i) => {
    const payment = (await send(
      'POST',
      platform.url('payment', '/v1/payments'),
      {
        debtorAccountId: accounts.funding,
        creditorAccountId: accounts.debtors[i],
        amount: '5000.00',
        currency: 'EUR',
        reference: 'bench funding',
      },
      { 'idempotency-key': randomUUID() },
    )) as { id: string };
    ids.push(payment.id);
  });
  const deadline = performance.now() + 120_000;
  while (ids.some((id) => !watcher.outcomes.has(id))) {
    if (performance.now() > deadline) {
      const missing = ids.filter((id) => !watcher.outcomes.has(id)).length;
      throw new Error(`funding: ${missing} of ${count} payments without a final event after 120 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const notSettled = ids.filter((id) => watcher.outcomes.get(id)?.type !== 'payment.settled');
  if (notSettled.length) {
    const res = await fetch(platform.url('payment', `/v1/payments/${notSettled[0]}`));
    const example = (await res.json()) as { status?: string; reason?: string };
    throw new Error(
      `funding: ${notSettled.length} of ${count} payments did not settle (e.g. ${notSettled[0]}: ` +
        `${example.status ?? '?'} ${example.reason ?? ''})`,
    );
  }
  progress.log(`${count} debtors funded`);
  return accounts;
}
