import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * CPU profiles of a running service without restarting it: a service started with
 * cpuProfileEnv(dir) loads cpu-profile.preload.js, which starts V8's sampling profiler on the
 * first SIGUSR2 and writes <dir>/<pid>.cpuprofile on the second (node's own --cpu-prof is not
 * allowed in NODE_OPTIONS and only writes at exit, so it would profile the whole life of the
 * process instead of one load phase).
 */
export const PROFILE_DIR_VARIABLE = 'PAYSTREAM_BENCH_PROFILE_DIR';

export function cpuProfileEnv(dir: string, existingNodeOptions = ''): Record<string, string> {
  const preload = path.join(__dirname, 'cpu-profile.preload.js');
  return {
    NODE_OPTIONS: `${existingNodeOptions} --require ${JSON.stringify(preload)}`.trim(),
    [PROFILE_DIR_VARIABLE]: dir,
  };
}

export function profileFile(dir: string, pid: number): string {
  return path.join(dir, `${pid}.cpuprofile`);
}

/** Starts the profiler in `pid` (started with cpuProfileEnv); stop it with stopCpuProfile. */
export function startCpuProfile(pid: number): void {
  process.kill(pid, 'SIGUSR2');
}

/** Stops the profiler in `pid` and reads the profile it writes. */
export async function stopCpuProfile(pid: number, dir: string, timeoutMs = 15_000): Promise<CpuProfile> {
  const file = profileFile(dir, pid);
  process.kill(pid, 'SIGUSR2');
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no CPU profile from pid ${pid} in ${timeoutMs} ms (${file})`);
}

/** The parts of V8's Profiler.Profile the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** The part of totalMs the event loop waited with nothing to run ((idle)): I/O, timers. */
  idleMs: number;
  /** Self time per function (`name (file:line)`), largest first. */
  functions: ProfileEntry[];
  /** Self time per origin: a package, node internals, an app or lib of the repository, GC, idle. */
  origins: ProfileEntry[];
}

/** Where a frame's code comes from, for the per-origin summary. */
export function originOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return functionName.startsWith('(') ? functionName : 'native';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:') || !url.includes('/')) return 'node internals';
  const own = /\/dist\/((?:apps|libs|bench)\/[^/]+)/.exec(url);
  if (own) return own[1];
  return 'other';
}

function top(map: Map<string, number>, totalMs: number, n: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, selfMs]) => ({ name, selfMs, percent: totalMs > 0 ? (100 * selfMs) / totalMs : NaN }));
}

/**
 * Self time per function and per origin. With samples and timeDeltas each sample counts for the
 * time to the next one (as Chrome DevTools does); without them, hitCount × the mean interval.
 */
export function summarizeCpuProfile(profile: CpuProfile, n = 15): ProfileSummary {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length && deltas.length === samples.length) {
    for (let i = 0; i < samples.length; i++) {
      const next = i + 1 < deltas.length ? deltas[i + 1] : 0;
      selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, next));
    }
  } else {
    const hits = profile.nodes.reduce((s, node) => s + (node.hitCount ?? 0), 0);
    const interval = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * interval);
  }
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let totalMs = 0;
  for (const node of profile.nodes) {
    const ms = (selfUs.get(node.id) ?? 0) / 1000;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist)\//, '$1/') : '';
    const name = `${functionName || '(anonymous)'}${file ? ` (${file}:${lineNumber + 1})` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    const origin = originOf(url, functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + ms);
    totalMs += ms;
  }
  return {
    totalMs,
    idleMs: byOrigin.get('idle') ?? 0,
    functions: top(byFunction, totalMs, n),
    origins: top(byOrigin, totalMs, n),
  };
}
