import { readFileSync, readdirSync } from 'node:fs';
import { cpuSeconds } from './cpu';

/** Pids of the processes whose command line (arguments joined by spaces) matches. Linux /proc. */
export function findProcesses(match: (commandLine: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (commandLine && match(commandLine)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** The local stack's JVMs and PostgreSQL server processes, found by their command lines. */
export const stackProcessMatchers = {
  kafka: (c: string) => /(^|\s)kafka\.Kafka(\s|$)/.test(c),
  registry: (c: string) => /\bquarkus-run\.jar\b/.test(c) || /\bapicurio\b/i.test(c.split(' ')[0] ?? ''),
  postgres: (c: string) => /^postgres(:|\s|$)/.test(c) || /\/bin\/postgres(\s|$)/.test(c),
} as const;

export type PidSource = number | readonly number[] | (() => readonly number[] | Promise<readonly number[]>);

async function resolvePids(source: PidSource): Promise<number[]> {
  if (typeof source === 'number') return [source];
  if (typeof source === 'function') return [...(await source())];
  return [...source];
}

/**
 * CpuMeter for groups of processes whose members come and go (PostgreSQL backends, a JVM that
 * restarts): each group's pids are looked up at start and at stop; a pid seen only at stop counts
 * from zero (it started during the window), a pid gone at stop is lost (its last ticks are not
 * readable any more), so the figure is a lower bound when processes exit during the window.
 * In percent of one core, like CpuMeter.
 */
export class GroupCpuMeter {
  private started = 0;
  private readonly before = new Map<string, Map<number, number>>();

  constructor(private readonly groups: Record<string, PidSource>) {}

  async start(): Promise<this> {
    this.before.clear();
    for (const [name, source] of Object.entries(this.groups)) {
      const pids = await resolvePids(source);
      this.before.set(name, new Map(pids.map((pid) => [pid, cpuSeconds(pid)])));
    }
    this.started = Date.now();
    return this;
  }

  async stop(): Promise<Record<string, number>> {
    const wall = (Date.now() - this.started) / 1000;
    const out: Record<string, number> = {};
    for (const [name, source] of Object.entries(this.groups)) {
      const before = this.before.get(name) ?? new Map<number, number>();
      const pids = new Set([...(await resolvePids(source)), ...before.keys()]);
      let used = 0;
      for (const pid of pids) {
        const now = cpuSeconds(pid);
        if (Number.isNaN(now)) continue;
        used += now - (before.get(pid) ?? 0);
      }
      out[name] = wall > 0 ? (100 * used) / wall : NaN;
    }
    return out;
  }
}
