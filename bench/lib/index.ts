/**
 * What a benchmark scenario `bench/<name>.bench.ts` builds on. bench/run.mjs runs each compiled
 * scenario as `node dist/bench/<name>.bench.js --json <file> [--quick]` and expects, in <file>,
 * `{name, metrics, ratios, notes?, tables?}` (see BenchResult). A scenario is:
 *
 *   runScenario('api', async ({ quick, progress }) => {
 *     const hello = await progress.step('hello-world', () => helloWorld(50, quick ? 2 : 10));
 *     const api = await fixedRateLoad({ url, method: 'POST', ratePerSecond: 200, durationSeconds: 10, nextRequest });
 *     return { metrics: { api_p99_ms: api.latencyMs.p99 }, ratios: { api_vs_hello_world: api.okPerSecond / hello.rps } };
 *   });
 *
 * - baselines: rawProduce / rawConsume (kafkajs), rawPgInsertCommit / pgBatchInsert (pg), helloWorld / helloWorldSeries (Nest).
 * - load: httpLoad (closed loop, autocannon, max rps at a concurrency), fixedRateLoad (open loop, offered rate).
 * - measuring: summarize / percentile, CpuMeter (per-process CPU %), groupLag + MaxSampler (max consumer lag).
 * - scratch resources: createBenchTopic, createBenchDatabase (paystream_test_bench_*), both removed by the caller.
 * - the platform: startApp + freePort (a built app as a process), GroupCpuMeter + findProcesses (CPU of the
 *   stack's JVMs and PostgreSQL), groupPosition (lag and throughput over several topics), CPU profiles of a
 *   running service (cpuProfileEnv, startCpuProfile, stopCpuProfile, summarizeCpuProfile), onCleanup (signals).
 * `--quick` must keep a scenario to seconds; progress goes to stderr through Progress.
 */
export * from './app-process';
export * from './args';
export * from './baselines';
export * from './child-server';
export * from './cleanup';
export * from './cpu';
export * from './cpu-profile';
export * from './fixed-rate-load';
export * from './http-load';
export * from './infra';
export * from './kafka-lag';
export * from './process-cpu';
export * from './progress';
export * from './result';
export * from './stats';
