import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConsumeRate, Rate, perSecond } from '../lib';

/**
 * What every client of the comparison runs: the shape of rawProduce / rawConsume in
 * bench/lib/baselines.ts (same keys, values, batch size, concurrency and timing rules), so only
 * the client differs.
 */
export interface ComparedClient {
  /** Short id used in metric names (`confluent_produce_msgs_per_s`). */
  id: string;
  /** Package and version, as reported. */
  label: string;
  /** How it is configured for the comparison, one line for the report. */
  settings: string;
  produce(topic: string, n: number): Promise<Rate>;
  consume(topic: string, n: number): Promise<ConsumeRate>;
}

/** Where bench/clients/install.mjs installs the clients (its CLIENTS_CACHE); this file runs from dist/bench/clients. */
const CACHE = path.resolve(__dirname, '../../../.cache/bench-clients');

export interface InstallSummary {
  date: string;
  node: string;
  confluent: string;
  platformatic: string;
  /** The npm output of the install, relative to the repository. */
  log: string;
  /** Why the native build failed, when it did (the lines before node-gyp's first error). */
  error?: string;
}

export function installSummary(): InstallSummary | undefined {
  const file = path.join(CACHE, 'install.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as InstallSummary) : undefined;
}

/** Loads `name` from the cache; throws saying how to install it when it is not there or does not load. */
export function loadFromCache(name: string): { module: unknown; version: string } {
  const manifest = path.join(CACHE, 'node_modules', name, 'package.json');
  if (!existsSync(manifest))
    throw new Error(`${name} is not installed in ${CACHE} (run: node bench/clients/install.mjs)`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { module: createRequire(path.join(CACHE, 'package.json'))(name) as unknown, version };
}

/**
 * Counts delivered messages until `n` arrived; the rate runs from the first delivery to the n-th
 * message and the start-up (group join, first fetch) is reported apart, as in rawConsume.
 */
export class ConsumeClock {
  readonly done: Promise<ConsumeRate>;
  private readonly t0 = performance.now();
  private first = 0;
  private count = 0;
  private bytes = 0;
  private settle?: { resolve: (r: ConsumeRate) => void; reject: (e: Error) => void };

  constructor(
    private readonly n: number,
    timeoutMs = 120_000,
  ) {
    this.done = new Promise<ConsumeRate>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${this.count} of ${n} in ${timeoutMs} ms`)), timeoutMs);
      this.settle = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  /** `messages` more arrived, carrying `bytes` of values. */
  add(messages: number, bytes: number): void {
    const now = performance.now();
    if (!this.first) this.first = now;
    const before = this.count;
    this.count += messages;
    this.bytes += bytes;
    if (before < this.n && this.count >= this.n) {
      if (this.bytes === 0) return this.fail(new Error('consumed messages without values'));
      this.settle?.resolve({
        count: this.count,
        seconds: (now - this.first) / 1000,
        perSecond: perSecond(this.count, now - this.first),
        startupSeconds: (this.first - this.t0) / 1000,
      });
    }
  }

  fail(err: unknown): void {
    this.settle?.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
