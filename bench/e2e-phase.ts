/**
 * One load phase of the end-to-end benchmark: payments POSTed at a fixed offered rate, then a
 * drain; what every consumer group, every process and every payment did meanwhile.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Admin } from 'kafkajs';
import { Accounts, PaymentWatcher, Platform, SERVICES, STEPS, Service } from './e2e-platform';
import {
  GroupCpuMeter,
  GroupPosition,
  MaxSampler,
  PidSource,
  Summary,
  findProcesses,
  fixedRateLoad,
  groupPosition,
  stackProcessMatchers,
  summarize,
} from './lib';

/** A payment counts as late when it has no payment.settled this long after it was due. */
export const SETTLE_DEADLINE_MS = 5_000;
/** A group keeps up when its lag never exceeds this many seconds of its input. */
export const LAG_BOUND_SECONDS = 3;

export interface GroupStats {
  service: Service;
  inputPerSecond: number;
  throughputPerSecond: number;
  maxLag: number;
  /** Seconds after the load stopped until it caught up (idleLag); NaN when it did not in time. */
  drainSeconds: number;
}

export interface PhaseResult {
  label: string;
  rate: number;
  seconds: number;
  posted: number;
  accepted: number;
  postFailures: number;
  postOkPerSecond: number;
  postLatencyMs: Summary;
  settled: number;
  failedOrRejected: number;
  late: number;
  settleLatencyMs: Summary;
  /** POST → SETTLED split at each event's arrival on its topic (settled payments only). */
  hops: { hop: string; latencyMs: Summary }[];
  groups: GroupStats[];
  /** % of one core per process (or group of processes) during the load. */
  cpu: Record<string, number>;
  /**
   * % of one core per process from the start of the load until the drain ended, and that
   * window's length: the CPU these payments cost, including the work done after the load stopped.
   */
  cpuThroughDrain: Record<string, number>;
  drainWindowSeconds: number;
  loadAverage: number;
  keptUp: boolean;
  why: string[];
}

export interface PhaseContext {
  admin: Admin;
  platform: Platform;
  watcher: PaymentWatcher;
  accounts: Accounts;
  /** Offset into the debtors, so that phases keep spreading over all of them. */
  sequence: { next: number };
  drainTimeoutSeconds: number;
  log(message: string): void;
}

function cpuSources(platform: Platform): Record<string, PidSource> {
  const sources: Record<string, PidSource> = {};
  for (const s of SERVICES) sources[s] = platform.apps.get(s)!.pid;
  sources.kafka = () => findProcesses(stackProcessMatchers.kafka);
  sources.registry = () => findProcesses(stackProcessMatchers.registry);
  sources['postgres (platform dbs)'] = () => platform.backendPids();
  sources['postgres (rest)'] = async () => {
    const mine = new Set(await platform.backendPids());
    return findProcesses(stackProcessMatchers.postgres).filter((p) => !mine.has(p));
  };
  sources['bench (load + watcher)'] = process.pid;
  return sources;
}

async function positions(ctx: PhaseContext): Promise<GroupPosition[]> {
  return Promise.all(ctx.platform.groups.map((g) => groupPosition(ctx.admin, g.groupId, g.topics)));
}

/** CPU per process with the platform running and no payments offered: the fixed cost under each phase. */
export async function idleCpu(ctx: PhaseContext, seconds: number): Promise<Record<string, number>> {
  const meter = await new GroupCpuMeter(cpuSources(ctx.platform)).start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return meter.stop();
}

export async function runPhase(ctx: PhaseContext, label: string, rate: number, seconds: number): Promise<PhaseResult> {
  const { platform, accounts, watcher } = ctx;
  const n = accounts.debtors.length;
  const accepted = new Map<string, number>();
  const before = await positions(ctx);
  const samplers = platform.groups.map(
    (g) => new MaxSampler(async () => (await groupPosition(ctx.admin, g.groupId, g.topics)).lag, 500),
  );
  const cpu = await new GroupCpuMeter(cpuSources(platform)).start();
  const cpuThroughDrain = await new GroupCpuMeter(cpuSources(platform)).start();
  const loadStarted = performance.now();
  const base = ctx.sequence.next;
  const load = await fixedRateLoad({
    url: platform.url('payment', '/v1/payments'),
    method: 'POST',
    ratePerSecond: rate,
    durationSeconds: seconds,
    nextRequest: (i) => {
      const k = base + i;
      // Debtors round-robin (so the keys spread over every partition); creditors another debtor.
      const debtor = k % n;
      const creditor = (debtor + 1 + (Math.floor(k / n) % (n - 1))) % n;
      return {
        headers: { 'idempotency-key': randomUUID() },
        body: JSON.stringify({
          debtorAccountId: accounts.debtors[debtor],
          creditorAccountId: accounts.debtors[creditor],
          amount: '1.00',
          currency: 'EUR',
          reference: 'bench e2e',
        }),
      };
    },
    onResponse: (_i, status, body, dueAt) => {
      if (status === 201) accepted.set((JSON.parse(body) as { id: string }).id, dueAt);
    },
  });
  ctx.sequence.next += load.due;
  const cpuPercent = await cpu.stop();
  const loadEnded = performance.now();
  const atEnd = await positions(ctx);

  // Drain: until every group caught up and every accepted payment has its final event.
  const drained: number[] = platform.groups.map(() => NaN);
  const deadline = loadEnded + ctx.drainTimeoutSeconds * 1000;
  for (;;) {
    const now = await positions(ctx);
    now.forEach((p, i) => {
      if (p.lag <= platform.groups[i].idleLag && Number.isNaN(drained[i]))
        drained[i] = (performance.now() - loadEnded) / 1000;
    });
    const outstanding = [...accepted.keys()].filter((id) => !watcher.outcomes.has(id)).length;
    if (drained.every((d) => !Number.isNaN(d)) && outstanding === 0) break;
    if (performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const cpuThroughDrainPercent = await cpuThroughDrain.stop();
  const drainWindowSeconds = (performance.now() - loadStarted) / 1000;
  const maxLags = await Promise.all(samplers.map((s) => s.stop()));

  const latencies: number[] = [];
  let settled = 0;
  let failedOrRejected = 0;
  let late = 0;
  for (const [id, dueAt] of accepted) {
    const outcome = watcher.outcomes.get(id);
    if (outcome?.type === 'payment.settled') {
      settled++;
      latencies.push(outcome.at - dueAt);
      if (outcome.at - dueAt > SETTLE_DEADLINE_MS) late++;
    } else {
      if (outcome) failedOrRejected++;
      late++;
    }
  }
  const hopNames = ['POST due → ' + STEPS[0], ...STEPS.slice(1).map((step, i) => `${STEPS[i]} → ${step}`)];
  const hopLatencies: number[][] = hopNames.map(() => []);
  for (const [id, dueAt] of accepted) {
    const steps = watcher.steps.get(id);
    if (!steps || STEPS.some((step) => steps[step] === undefined)) continue;
    let previous = dueAt;
    STEPS.forEach((step, i) => {
      hopLatencies[i].push(steps[step]! - previous);
      previous = steps[step]!;
    });
  }
  const loadSeconds = load.durationSeconds;
  const groups: GroupStats[] = platform.groups.map((g, i) => ({
    service: g.service,
    inputPerSecond: (atEnd[i].end - before[i].end) / loadSeconds,
    throughputPerSecond: (atEnd[i].committed - before[i].committed) / loadSeconds,
    maxLag: maxLags[i].max,
    drainSeconds: drained[i],
  }));

  const why: string[] = [];
  const postFailures = load.non2xx + load.errors + load.dropped;
  if (accepted.size < 0.99 * load.due) why.push(`POST: ${accepted.size} of ${load.due} accepted`);
  for (const g of groups) {
    const bound = Math.max(50, LAG_BOUND_SECONDS * g.inputPerSecond);
    if (g.maxLag > bound)
      why.push(`${g.service}: max lag ${g.maxLag} > ${bound.toFixed(0)} (${LAG_BOUND_SECONDS} s of input)`);
    if (Number.isNaN(g.drainSeconds))
      why.push(`${g.service}: not caught up ${ctx.drainTimeoutSeconds} s after the load`);
  }
  if (late > 0.01 * accepted.size)
    why.push(`${late} of ${accepted.size} payments not settled within ${SETTLE_DEADLINE_MS} ms`);
  const result: PhaseResult = {
    label,
    rate,
    seconds: loadSeconds,
    posted: load.sent,
    accepted: accepted.size,
    postFailures,
    postOkPerSecond: load.okPerSecond,
    postLatencyMs: load.latencyMs,
    settled,
    failedOrRejected,
    late,
    settleLatencyMs: summarize(latencies),
    hops: hopNames.map((hop, i) => ({ hop, latencyMs: summarize(hopLatencies[i]) })),
    groups,
    cpu: cpuPercent,
    cpuThroughDrain: cpuThroughDrainPercent,
    drainWindowSeconds,
    loadAverage: os.loadavg()[0],
    keptUp: why.length === 0,
    why,
  };
  ctx.log(
    `${label} ${rate}/s: ${accepted.size} accepted, ${settled} settled, p99 ${result.settleLatencyMs.p99.toFixed(0)} ms, ` +
      `${result.keptUp ? 'kept up' : `did not keep up (${why.join('; ')})`}`,
  );
  return result;
}

/** Waits (up to `timeoutSeconds`) until no group has lag: a phase must not start on a backlog. */
export async function waitIdle(ctx: PhaseContext, timeoutSeconds: number): Promise<boolean> {
  const deadline = performance.now() + timeoutSeconds * 1000;
  for (;;) {
    const now = await positions(ctx);
    const behind = ctx.platform.groups.filter((g, i) => now[i].lag > g.idleLag);
    if (!behind.length) return true;
    if (performance.now() > deadline) {
      // The next phase starts on a backlog: say so, its figures carry it.
      ctx.log(
        `still behind after ${timeoutSeconds} s: ${behind.map((g) => `${g.service} (lag ${now[ctx.platform.groups.indexOf(g)].lag})`).join(', ')}`,
      );
      return false;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Partitions of (the run's) payment-events: how far the debtors' keys can spread the work. */
export async function paymentEventsPartitions(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).length;
}
