import { readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux the platform targets (getconf CLK_TCK).
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN when gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after its closing ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Measures the CPU each named process uses between `new CpuMeter(...)` and `stop()`, in percent
 * of one core (200 % is both cores of a 2-core machine).
 */
export class CpuMeter {
  private readonly start = Date.now();
  private readonly before: Map<string, number>;

  constructor(private readonly pids: Record<string, number>) {
    this.before = new Map(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  }

  stop(): Record<string, number> {
    const wall = (Date.now() - this.start) / 1000;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const used = cpuSeconds(pid) - (this.before.get(name) ?? NaN);
      out[name] = wall > 0 ? (100 * used) / wall : NaN;
    }
    return out;
  }
}
