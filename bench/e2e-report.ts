/**
 * The end-to-end benchmark's part of bench/REPORT.md: metrics, ratios against the same-run
 * baseline, tables per phase, and the bottleneck section written from what the run measured.
 */
import { LAG_BOUND_SECONDS, PhaseResult, SETTLE_DEADLINE_MS } from './e2e-phase';
import { SERVICES, Service } from './e2e-platform';
import { BenchResult, BenchTable, CommitRate, ProfileSummary, round } from './lib';

export interface ProfiledService {
  service: Service;
  cpuPercent: number;
  summary: ProfileSummary;
}

export interface E2eFacts {
  quick: boolean;
  phases: PhaseResult[];
  /** CPU per process with no payments offered. */
  idle: Record<string, number>;
  best?: PhaseResult;
  firstFailed?: PhaseResult;
  profiles: ProfiledService[];
  pgCommits: CommitRate;
  debtors: number;
  partitions: number;
  cores: number;
}

const TARGET = { sustained: 500, p99At200Ms: 500 };

/** Who does the work between two arrivals (each hop also holds one outbox relay round or a Kafka transaction). */
const HOP_OWNER: Record<string, string> = {
  'POST due → payment.initiated': 'payment API and its outbox relay',
  'payment.initiated → risk.assessed': 'risk consumer, Kafka transaction',
  'risk.assessed → payment.authorized': 'payment saga consumer and its outbox relay',
  'payment.authorized → ledger.posted': 'ledger consumer and its outbox relay',
  'ledger.posted → payment.settled': 'payment saga consumer and its outbox relay',
};

/** Other databases' backends and PostgreSQL's shared processes: in the tables, not in the platform's total. */
const NOT_OURS = 'postgres (rest)';
const sum = (cpu: Record<string, number>) =>
  Object.entries(cpu).reduce((s, [name, v]) => s + (name !== NOT_OURS && Number.isFinite(v) ? v : 0), 0);
const totalCpu = (p: PhaseResult) => sum(p.cpu);
/**
 * Marginal CPU milliseconds per accepted payment of the processes `names`: their CPU from the
 * start of the load until the drain ended, above what they use idle, over the payments accepted.
 */
const msPerPayment = (p: PhaseResult, idle: Record<string, number>, names?: string[]) => {
  const pick = (cpu: Record<string, number>) =>
    names ? names.reduce((t, n) => t + (Number.isFinite(cpu[n]) ? cpu[n] : 0), 0) : sum(cpu);
  const extraPercent = Math.max(0, pick(p.cpuThroughDrain) - pick(idle));
  return p.accepted > 0 ? (extraPercent * p.drainWindowSeconds * 10) / p.accepted : NaN;
};

function phaseTables(phases: PhaseResult[], idle: Record<string, number>): BenchTable[] {
  const cpuNames = Object.keys(phases[0]?.cpu ?? {});
  return [
    {
      title: `Phases (latency from the instant each POST was due to its payment.settled on payment-events; late = not settled within ${SETTLE_DEADLINE_MS} ms)`,
      columns: [
        'phase',
        'offered/s',
        's',
        'accepted/s',
        'POST p99 ms',
        'settled',
        'failed/rejected',
        'late',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'kept up',
        'load avg',
        'why not',
      ],
      rows: phases.map((p) => [
        p.label,
        p.rate,
        round(p.seconds, 1),
        round(p.postOkPerSecond, 0),
        round(p.postLatencyMs.p99, 1),
        p.settled,
        p.failedOrRejected,
        p.late,
        round(p.settleLatencyMs.p50, 0),
        round(p.settleLatencyMs.p95, 0),
        round(p.settleLatencyMs.p99, 0),
        p.keptUp ? 'yes' : 'no',
        round(p.loadAverage, 1),
        p.why.join('; ') || '-',
      ]),
    },
    {
      title:
        "Where the time goes: POST → SETTLED split at each event's arrival on its topic (settled payments; p50 / p99 ms)",
      columns: ['phase', 'offered/s', ...(phases[0]?.hops.map((h) => h.hop) ?? [])],
      rows: phases.map((p) => [
        p.label,
        p.rate,
        ...p.hops.map((h) => `${round(h.latencyMs.p50, 0)} / ${round(h.latencyMs.p99, 0)}`),
      ]),
    },
    {
      title: `Consumer groups (events/s from Kafka's committed offsets; a group keeps up when its lag stays under ${LAG_BOUND_SECONDS} s of its input and drains after the load)`,
      columns: ['phase', 'offered/s', 'group', 'input events/s', 'consumed events/s', 'max lag', 'drained after s'],
      rows: phases.flatMap((p) =>
        p.groups.map((g) => [
          p.label,
          p.rate,
          g.service,
          round(g.inputPerSecond, 0),
          round(g.throughputPerSecond, 0),
          g.maxLag,
          Number.isNaN(g.drainSeconds) ? 'not drained' : round(g.drainSeconds, 1),
        ]),
      ),
    },
    {
      title: `CPU per process during the load (% of one core). total: every column but ${NOT_OURS}; CPU ms/payment: the total above the idle row from the start of the load to the end of the drain, per accepted payment`,
      columns: ['phase', 'offered/s', ...cpuNames, 'total', 'CPU ms/payment'],
      rows: [
        ['idle', 0, ...cpuNames.map((n) => round(idle[n], 0)), round(sum(idle), 0), '-'],
        ...phases.map((p) => [
          p.label,
          p.rate,
          ...cpuNames.map((n) => round(p.cpu[n], 0)),
          round(totalCpu(p), 0),
          round(msPerPayment(p, idle), 2),
        ]),
      ],
    },
  ];
}

function profileTables(profiles: ProfiledService[]): BenchTable[] {
  return profiles.flatMap((pr) => [
    {
      title: `CPU profile of ${pr.service} (${round(pr.cpuPercent, 0)} % of a core in the profiled phase): self time by origin`,
      columns: ['origin', 'self ms', '% of profile', '% of busy (not idle)'],
      rows: pr.summary.origins.map((o) => [
        o.name,
        round(o.selfMs, 0),
        round(o.percent, 1),
        o.name === 'idle' ? '-' : round((100 * o.selfMs) / Math.max(1, pr.summary.totalMs - pr.summary.idleMs), 1),
      ]),
    },
    {
      title: `CPU profile of ${pr.service}: top functions by self time`,
      columns: ['function (file:line)', 'self ms', '%'],
      rows: pr.summary.functions.map((f) => [f.name, round(f.selfMs, 0), round(f.percent, 1)]),
    },
  ]);
}

function bottleneck(f: E2eFacts): string[] {
  const out: string[] = [];
  const cap = f.cores * 100;
  const at = f.firstFailed ?? f.best;
  if (!at) return ['No phase completed.'];
  const busiest = SERVICES.filter((s) => Number.isFinite(at.cpu[s])).sort((a, b) => at.cpu[b] - at.cpu[a]);
  const cpuLine = (p: PhaseResult) =>
    `all measured processes used ${round(totalCpu(p), 0)} % of the ${cap} % the ${f.cores} cores have ` +
    `(1-minute load average ${round(p.loadAverage, 1)}); by service: ` +
    busiest.map((s) => `${s} ${round(p.cpu[s], 0)} %`).join(', ') +
    `; Kafka ${round(p.cpu.kafka, 0)} %, PostgreSQL ${round(p.cpu['postgres (platform dbs)'] + p.cpu['postgres (rest)'], 0)} %`;
  if (f.firstFailed) {
    out.push(
      `**Where it stops:** ${f.best ? `${f.best.rate} payments/s was the highest offered rate sustained` : 'no offered rate was sustained'}; ` +
        `at ${f.firstFailed.rate}/s: ${f.firstFailed.why.join('; ')}.`,
    );
  } else {
    out.push(
      `**Where it stops:** not reached: every offered rate up to ${at.rate}/s was sustained (the search ends there).`,
    );
  }
  const hops = at.hops.filter((h) => h.latencyMs.count > 0);
  if (hops.length) {
    const largest = [...hops].sort((a, b) => b.latencyMs.p50 - a.latencyMs.p50)[0];
    out.push(
      `**Where the time goes at ${at.rate}/s** (p50 / p99 ms per hop): ` +
        hops.map((h) => `${h.hop} ${round(h.latencyMs.p50, 0)} / ${round(h.latencyMs.p99, 0)}`).join('; ') +
        `. The largest hop is ${largest.hop} (${HOP_OWNER[largest.hop] ?? 'unknown'}).`,
    );
  }
  out.push(`**CPU at ${at.rate}/s:** ${cpuLine(at)}.`);
  // Per-payment cost falls as batches grow with the rate, so the ceiling comes from the cheapest phase.
  const cheapest = f.phases
    .filter((p) => p.accepted > 0)
    .reduce<PhaseResult | undefined>(
      (a, p) => (a && msPerPayment(a, f.idle) <= msPerPayment(p, f.idle) ? a : p),
      undefined,
    );
  if (cheapest && Number.isFinite(msPerPayment(cheapest, f.idle))) {
    const perPayment = msPerPayment(cheapest, f.idle);
    out.push(
      `**CPU per payment:** ${round(perPayment, 2)} ms over the platform's processes at ${cheapest.rate}/s (above their ` +
        `idle use, from the start of the load to the end of the drain; the cheapest phase: small batches at low rates cost ` +
        `more per payment), so the ${f.cores} cores carry at most ~${Math.round((cap * 10) / perPayment)} payments/s end to ` +
        `end at that cost with nothing else running (by process: ` +
        `${busiest.map((s) => `${s} ${round(msPerPayment(cheapest, f.idle, [s]), 2)} ms`).join(', ')}; ` +
        `Kafka ${round(msPerPayment(cheapest, f.idle, ['kafka']), 2)} ms, PostgreSQL backends ` +
        `${round(msPerPayment(cheapest, f.idle, ['postgres (platform dbs)']), 2)} ms).`,
    );
  }
  if (at.loadAverage >= 2 * f.cores) {
    out.push(
      `**Caution:** the 1-minute load average was ${round(at.loadAverage, 1)} on ${f.cores} cores: the run queue held ` +
        `several times more runnable work than there are cores, so every process (this benchmark's included) waited for ` +
        `CPU. Latencies and lags then measure that contention as much as the platform, and a profile's busy time includes ` +
        `time a thread was runnable but descheduled. Re-run on a quiet machine before acting on the figures.`,
    );
  }
  const lagging = at.groups.filter((g) => at.why.some((w) => w.startsWith(`${g.service}:`))).map((g) => g.service);
  const ours = totalCpu(at);
  if (ours >= 0.85 * cap) {
    out.push(
      `**Reading:** the platform itself saturates the CPU (${round(ours, 0)} % of ${cap} %): the stage that falls behind first` +
        `${lagging.length ? ` (${lagging.join(', ')})` : ''} is the one that gets the least CPU, not necessarily the slowest code. ` +
        `What moves the rate is fewer CPU milliseconds per payment in the biggest consumers ` +
        `(${busiest.slice(0, 3).join(', ')}), or more cores / services on separate machines.`,
    );
  } else if (lagging.length) {
    const cpuOfLagging = lagging.map((s) => `${s} ${round(at.cpu[s], 0)} %`).join(', ');
    out.push(
      `**Reading:** ${lagging.join(', ')} fell behind while using ${cpuOfLagging} of a core, with the platform's processes at ` +
        `${round(ours, 0)} % of ${cap} %: ${lagging.length > 1 ? 'these stages wait' : 'this stage waits'} more than ${lagging.length > 1 ? 'they compute' : 'it computes'} ` +
        `(per batch: PostgreSQL commits, Kafka transactions and fetches, relay polling), so the fix is fewer round trips per ` +
        `event there (larger batches, several partitions at once, one commit per batch) rather than faster code.` +
        (at.loadAverage >= f.cores
          ? ` The load average (${round(at.loadAverage, 1)} on ${f.cores} cores) shows other work competed for the CPU in this run, which lengthens every wait.`
          : ''),
    );
  } else {
    out.push(`**Reading:** the busiest service is ${busiest[0]} (${round(at.cpu[busiest[0]], 0)} % of one core).`);
  }
  const at200 = f.phases.find((p) => p.label === 'fixed' && p.rate === 200);
  if (at200 && at200.settleLatencyMs.p99 > TARGET.p99At200Ms) {
    const slowest = [...at200.hops]
      .filter((h) => h.latencyMs.count > 0)
      .sort((a, b) => b.latencyMs.p99 - a.latencyMs.p99)[0];
    out.push(
      `**Latency at 200/s** (target p99 <= ${TARGET.p99At200Ms} ms): p99 ${round(at200.settleLatencyMs.p99, 0)} ms over five ` +
        `hops${slowest ? `, the slowest ${slowest.hop} (p99 ${round(slowest.latencyMs.p99, 0)} ms)` : ''}; the platform's ` +
        `processes used ${round(totalCpu(at200), 0)} % of ${cap} % at that rate (${round(msPerPayment(at200, f.idle), 2)} ms ` +
        `of CPU per payment, against ${f.best ? round(msPerPayment(f.best, f.idle), 2) : '-'} ms at the highest sustained ` +
        `rate): at moderate rates every cycle carries few records and pays its whole fixed cost, so each hop waits for a ` +
        `core. What moves it is less CPU per consumer cycle and relay round (docs/design-notes.md, "Benchmarks").`,
    );
  }
  for (const pr of f.profiles) {
    const ofBusy = (ms: number) => round((100 * ms) / Math.max(1, pr.summary.totalMs - pr.summary.idleMs), 0);
    const origins = pr.summary.origins
      .filter((o) => o.name !== 'idle')
      .slice(0, 5)
      .map((o) => `${o.name} ${ofBusy(o.selfMs)} %`)
      .join(', ');
    const fns = pr.summary.functions
      .filter((fn) => fn.name !== '(idle)')
      .slice(0, 4)
      .map((fn) => `${fn.name.replace(/ \(.*$/, '')} ${ofBusy(fn.selfMs)} %`)
      .join(', ');
    const busy = pr.summary.totalMs - pr.summary.idleMs;
    out.push(
      `**Profile of ${pr.service}:** ${round((100 * pr.summary.idleMs) / pr.summary.totalMs, 0)} % of the profiled time idle ` +
        `(waiting on I/O); of the ${round(busy / 1000, 1)} s busy, by origin: ${origins}; top functions: ${fns}.`,
    );
  }
  return out;
}

export function buildResult(f: E2eFacts): Omit<BenchResult, 'name'> {
  const fixed = (rate: number) => f.phases.find((p) => p.label === 'fixed' && p.rate === rate);
  const at200 = fixed(200);
  const at50 = fixed(50);
  const sustained = f.best?.rate ?? 0;
  const metrics: Record<string, number | string> = {
    debtors: f.debtors,
    payment_events_partitions: f.partitions,
    max_sustained_payments_per_s: sustained,
    first_unsustained_rate: f.firstFailed?.rate ?? 'none (search ended)',
    pg_insert_commit_per_s_c16: round(f.pgCommits.perSecond, 0),
  };
  for (const p of [at50, at200]) {
    if (!p) continue;
    metrics[`settle_p50_ms_at_${p.rate}`] = round(p.settleLatencyMs.p50, 0);
    metrics[`settle_p95_ms_at_${p.rate}`] = round(p.settleLatencyMs.p95, 0);
    metrics[`settle_p99_ms_at_${p.rate}`] = round(p.settleLatencyMs.p99, 0);
    metrics[`late_payments_at_${p.rate}`] = p.late;
  }
  if (f.best) {
    metrics.settle_p99_ms_at_max = round(f.best.settleLatencyMs.p99, 0);
    metrics.cpu_ms_per_payment_at_max = round(msPerPayment(f.best, f.idle), 2);
  }
  metrics.target_sustained = `>= ${TARGET.sustained}/s with every group keeping up`;
  metrics.target_sustained_met = sustained >= TARGET.sustained ? 'yes' : 'no';
  metrics.target_p99_at_200 = `<= ${TARGET.p99At200Ms} ms`;
  metrics.target_p99_at_200_met =
    at200 && at200.settleLatencyMs.p99 <= TARGET.p99At200Ms && at200.keptUp ? 'yes' : 'no';
  const ratios: Record<string, number> = {
    max_sustained_vs_pg_insert_commit_c16: round(sustained / f.pgCommits.perSecond, 3),
  };
  if (f.best) ratios.max_sustained_accepted_vs_offered = round(f.best.postOkPerSecond / f.best.rate, 3);
  return {
    metrics,
    ratios,
    tables: [...phaseTables(f.phases, f.idle), ...profileTables(f.profiles)],
    notes: [
      `The six services run as processes from dist on fresh databases, on the run's own copies of the three contract topics (same partitions and config; payment-events has ${f.partitions} partitions), deleted afterwards; ${f.debtors} synthetic debtors (round-robin, so keys spread over the partitions), each funded with 5000.00 EUR through the platform; every payment is 1.00 EUR to another debtor.`,
      'Risk rules for the run: velocity and new-account limits lifted (a load generator would trip them), every rule still evaluated.',
      'Offered rates are open loop (each POST at its own instant, latency counted from that instant). Settlement is observed by a consumer of those three topics that reads the type header of each record and decodes only lifecycle events, timestamped on arrival (no GET polling); the hops split POST → SETTLED at those arrivals.',
      `A rate is sustained when >= 99 % of the POSTs due are accepted, every group's lag stays under ${LAG_BOUND_SECONDS} s of its input and drains after the load, and <= 1 % of payments are late.`,
      'Slowest same-run baseline: PostgreSQL single-row INSERT+COMMIT at 16 connections (the other baselines, Kafka produce/consume and hello-world, are several times faster in the baselines scenario).',
      (f.quick
        ? 'Quick run: the two hottest services of the 50/s phase are profiled (V8 sampling profiler) during the 200/s phase, whose figures carry that overhead.'
        : 'The profiled phase repeats the highest sustained rate with V8 sampling profilers in the hottest service and the first that fell behind; its figures carry that overhead.') +
        ' Everything shares the machine with the load generator, the JVMs and PostgreSQL.',
    ],
    sections: [{ title: 'What limits the end-to-end rate', paragraphs: bottleneck(f) }],
  };
}
