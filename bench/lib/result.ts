import { writeFileSync } from 'node:fs';
import { BenchArgs, parseArgs } from './args';
import { runCleanups } from './cleanup';
import { Progress } from './progress';

export interface BenchTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

/**
 * What a scenario reports. Metric names carry their unit (`produce_msgs_per_s`, `latency_p99_ms`);
 * ratios compare a stage with the baseline measured in the same run (`api_vs_hello_world`).
 */
export interface BenchResult {
  name: string;
  metrics: Record<string, number | string>;
  ratios: Record<string, number>;
  notes?: string[];
  tables?: BenchTable[];
  /** Prose sections of the report (e.g. the bottleneck and its evidence), each a heading and paragraphs. */
  sections?: { title: string; paragraphs: string[] }[];
}

export function writeResult(args: BenchArgs, result: BenchResult): void {
  const text = JSON.stringify(result, null, 2);
  if (args.json) writeFileSync(args.json, text + '\n');
  else process.stdout.write(text + '\n');
}

export interface ScenarioContext {
  args: BenchArgs;
  quick: boolean;
  progress: Progress;
}

/**
 * The body of every `bench/<name>.bench.ts`: parses --json/--quick, runs the scenario, writes its
 * result, and exits non-zero on failure so bench/run.mjs reports it as failed and moves on.
 */
export function runScenario(name: string, body: (ctx: ScenarioContext) => Promise<Omit<BenchResult, 'name'>>): void {
  const args = parseArgs();
  const progress = new Progress(name);
  void body({ args, quick: args.quick, progress })
    .then((result) => {
      writeResult(args, { name, ...result });
      progress.log('finished');
      return 0;
    })
    .catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      process.stderr.write(`[bench ${name}] FAILED: ${e.stack ?? e.message}\n`);
      return 1;
    })
    // Whatever is still registered for clean-up (a signal's clean-up may be under way) finishes
    // first; then clients that linger (sockets, timers) must not keep the scenario alive.
    .then((code) => runCleanups().finally(() => process.exit(code)));
}
