/**
 * End-to-end benchmark (issue 8): the six services as processes on the local stack, payments
 * POSTed at fixed offered rates, and the latency from POST to payment.settled on payment-events,
 * with every consumer group's throughput and maximum lag, CPU per process, a search for the
 * highest rate every group sustains, and a CPU profile of the hottest services at that rate.
 *
 * `node dist/bench/e2e.bench.js [--json out.json] [--quick]`. Progress on stderr.
 *
 * Topics: this run's own copies of the three contract topics (libs/testing createContractTopics,
 * same partitions and config), deleted at the end with their dead-letter topics, so the run never
 * mixes with `npm start`, a test suite or another run on the same broker.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PaymentWatcher, SERVICES, Service, createAccounts, startPlatform } from './e2e-platform';
import { PhaseContext, PhaseResult, idleCpu, paymentEventsPartitions, runPhase, waitIdle } from './e2e-phase';
import { ProfiledService, buildResult } from './e2e-report';
import { createContractTopics } from '@paystream/testing';
import {
  benchKafka,
  benchName,
  createBenchDatabase,
  cpuProfileEnv,
  onCleanup,
  rawPgInsertCommit,
  runScenario,
  startCpuProfile,
  stopCpuProfile,
  summarizeCpuProfile,
} from './lib';

const SIZES = {
  quick: {
    debtors: 100,
    fixed: [
      [50, 3],
      [200, 3],
    ],
    // Quick runs stop at the fixed phases (a smoke run: the search needs the full run's lengths).
    search: [],
    searchSeconds: 3,
    profileSeconds: 0,
    drainSeconds: 8,
    baselineSeconds: 1.5,
    idleSeconds: 2,
  },
  full: {
    debtors: 1000,
    fixed: [
      [50, 15],
      [200, 20],
    ],
    search: [300, 400, 500, 650, 850, 1100],
    searchSeconds: 20,
    profileSeconds: 10,
    drainSeconds: 20,
    baselineSeconds: 5,
    idleSeconds: 5,
  },
} as const;

/** Services by CPU used in a phase, most first. */
function hottestOf(phase: PhaseResult): Service[] {
  return SERVICES.filter((k) => Number.isFinite(phase.cpu[k]))
    .sort((a, b) => phase.cpu[b] - phase.cpu[a])
    .slice(0, 2);
}

/**
 * PAYSTREAM_E2E_RATES="5:20,50:10" replaces the fixed phases (offered rate per second : seconds)
 * and skips the search: for diagnosing latency at rates of one's choosing. Not used by the report.
 */
function fixedPhases(quick: boolean): { fixed: readonly (readonly [number, number])[]; search: readonly number[] } {
  const size = quick ? SIZES.quick : SIZES.full;
  const custom = process.env.PAYSTREAM_E2E_RATES;
  if (!custom) return size;
  const fixed = custom.split(',').map((pair) => {
    const [rate, seconds] = pair.split(':').map(Number);
    if (!(rate > 0) || !(seconds > 0)) throw new Error(`PAYSTREAM_E2E_RATES: expected rate:seconds, got "${pair}"`);
    return [rate, seconds] as const;
  });
  return { fixed, search: [] };
}

runScenario('e2e', async ({ quick, progress }) => {
  const size = { ...(quick ? SIZES.quick : SIZES.full), ...fixedPhases(quick) };
  const baselineDb = await createBenchDatabase('e2e_baseline');
  const pgCommits = await progress
    .step('baseline: PostgreSQL INSERT+COMMIT, 16 connections', () =>
      rawPgInsertCommit(baselineDb.url, size.baselineSeconds, 16),
    )
    .finally(() => baselineDb.drop());

  const kafka = benchKafka('paystream-bench-e2e');
  const admin = kafka.admin();
  await admin.connect();
  const run = benchName('bench_e2e');
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'paystream-e2e-profile-'));
  const topics = await progress.step("this run's copies of the contract topics", () => createContractTopics(run));
  const dropTopics = onCleanup(() => topics.delete());
  // The watcher joins its group while the services start: both take seconds.
  const [started, watching] = await Promise.allSettled([
    startPlatform(kafka, admin, run, topics, progress, cpuProfileEnv(profileDir, process.env.NODE_OPTIONS)),
    PaymentWatcher.start(kafka, `${run}_watcher`, topics),
  ]);
  const watcher = watching.status === 'fulfilled' ? watching.value : undefined;
  const platform = started.status === 'fulfilled' ? started.value : undefined;
  try {
    if (!platform || !watcher) {
      const failed = [started, watching].find((r) => r.status === 'rejected') as PromiseRejectedResult;
      throw failed.reason;
    }
    const accounts = await progress.step(`creating and funding ${size.debtors} debtors`, () =>
      createAccounts(platform, watcher, size.debtors, progress),
    );
    const ctx: PhaseContext = {
      admin,
      platform,
      watcher,
      accounts,
      sequence: { next: 0 },
      drainTimeoutSeconds: size.drainSeconds,
      log: (m) => progress.log(m),
    };
    await waitIdle(ctx, size.drainSeconds);
    const idle = await progress.step('CPU with no payments offered', () => idleCpu(ctx, size.idleSeconds));
    const phases: PhaseResult[] = [];
    const profiles: ProfiledService[] = [];
    /** Runs `phase` with the profiler on in `services`, and keeps their summaries. */
    const withProfiles = async (services: Service[], phase: () => Promise<PhaseResult>) => {
      for (const s of services) startCpuProfile(platform.apps.get(s)!.pid);
      const result = await phase();
      for (const s of services) {
        const profile = await stopCpuProfile(platform.apps.get(s)!.pid, profileDir);
        profiles.push({ service: s, cpuPercent: result.cpu[s], summary: summarizeCpuProfile(profile, 12) });
      }
      return result;
    };
    for (const [rate, seconds] of size.fixed) {
      await waitIdle(ctx, size.drainSeconds);
      // Quick runs have no time for a phase of their own: the two hottest services of the first
      // phase are profiled during the last fixed one.
      const profileNow = quick && rate === size.fixed[size.fixed.length - 1][0] && phases.length > 0;
      const run = () => runPhase(ctx, 'fixed', rate, seconds);
      phases.push(profileNow ? await withProfiles(hottestOf(phases[0]), run) : await run());
    }

    // The search: rising offered rates until one is not sustained, then (full runs) one step
    // halfway back between the last sustained rate and the first that was not.
    let best = phases
      .filter((p) => p.keptUp)
      .reduce<PhaseResult | undefined>((a, p) => (a && a.rate > p.rate ? a : p), undefined);
    let firstFailed: PhaseResult | undefined = phases.find((p) => !p.keptUp);
    for (const rate of size.search) {
      if (firstFailed) break;
      await waitIdle(ctx, size.drainSeconds);
      const p = await runPhase(ctx, 'search', rate, size.searchSeconds);
      phases.push(p);
      if (p.keptUp) best = p;
      else firstFailed = p;
    }
    if (!quick && best && firstFailed && firstFailed.rate > best.rate * 1.15) {
      const rate = Math.round((best.rate + firstFailed.rate) / 2 / 10) * 10;
      await waitIdle(ctx, 60);
      const p = await runPhase(ctx, 'search', rate, size.searchSeconds);
      phases.push(p);
      if (p.keptUp) best = p;
    }

    // Full runs: one more phase at the highest sustained rate (or the lowest that was not), with
    // the profiler on in the service that used the most CPU there and in the first one that fell
    // behind (or the next hottest when none did).
    if (!quick) {
      const reference = best ?? firstFailed ?? phases[phases.length - 1];
      const behind = SERVICES.find((k) => firstFailed?.why.some((w) => w.startsWith(`${k}:`)));
      const [first, second] = hottestOf(reference);
      const targets = [first, behind && behind !== first ? behind : second].filter((x): x is Service => Boolean(x));
      await waitIdle(ctx, 60);
      phases.push(await withProfiles(targets, () => runPhase(ctx, 'profiled', reference.rate, size.profileSeconds)));
    }

    return buildResult({
      quick,
      phases,
      idle,
      best,
      firstFailed,
      profiles,
      pgCommits,
      debtors: size.debtors,
      partitions: await paymentEventsPartitions(admin, topics.paymentEvents),
      cores: os.cpus().length,
    });
  } finally {
    await watcher?.stop().catch(() => undefined);
    await platform?.stop();
    dropTopics();
    await topics.delete().catch(() => undefined);
    await admin.disconnect();
    rmSync(profileDir, { recursive: true, force: true });
  }
});
