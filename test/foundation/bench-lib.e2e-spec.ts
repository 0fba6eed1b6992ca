import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import {
  GroupCpuMeter,
  MaxSampler,
  createBenchDatabase,
  findProcesses,
  groupPosition,
  originOf,
  positionGroupAtEnd,
  runCleanups,
  onCleanup,
  summarizeCpuProfile,
  createBenchTopic,
  fixedRateLoad,
  groupLag,
  httpLoad,
  parseArgs,
  percentile,
  pgBatchInsert,
  rawConsume,
  rawPgInsertCommit,
  rawProduce,
  summarize,
} from '../../bench/lib';
import { commitGroupOffsets, testKafka, uniqueName, waitFor } from '@paystream/testing';
import { Client } from 'pg';

// The helpers every benchmark scenario builds on; a wrong percentile or a miscounted rate would
// make every report wrong, so they are checked against the real broker and PostgreSQL here.
describe('bench/lib', () => {
  it('computes nearest-rank percentiles of a sorted array', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    // summarize sorts numerically (not as strings) before taking ranks.
    expect(summarize([10, 9, 100, 1, 2])).toEqual({
      count: 5,
      min: 1,
      mean: 24.4,
      p50: 9,
      p95: 100,
      p99: 100,
      max: 100,
    });
  });

  it('parses --json and --quick and rejects anything else', () => {
    expect(parseArgs([])).toEqual({ quick: false });
    expect(parseArgs(['--json', '/tmp/x.json', '--quick'])).toEqual({ json: '/tmp/x.json', quick: true });
    expect(parseArgs(['--json=/tmp/y.json'])).toEqual({ json: '/tmp/y.json', quick: false });
    expect(() => parseArgs(['--json'])).toThrow(/--json needs a file/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument: --fast/);
  });

  it('produces and consumes exactly n messages and reports the group lag before and after a commit', async () => {
    const kafka = testKafka(uniqueName('bench-lib'));
    const topic = await createBenchTopic('bench-lib', 3, kafka);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const produced = await rawProduce(kafka, topic.name, 1200, { batchSize: 100, concurrency: 2 });
      expect(produced.count).toBe(1200);
      expect(produced.perSecond).toBeGreaterThan(0);
      const offsets = await admin.fetchTopicOffsets(topic.name);
      expect(offsets.reduce((s, o) => s + Number(o.high), 0)).toBe(1200);

      const consumed = await rawConsume(kafka, topic.name, 1200, 60_000);
      expect(consumed.count).toBe(1200);

      const group = uniqueName('bench-lib-group');
      expect(await groupLag(admin, group, topic.name)).toBe(1200);
      const partition0 = Number(offsets.find((o) => o.partition === 0)!.high);
      await commitGroupOffsets(group, [
        { topic: topic.name, partitions: [{ partition: 0, offset: String(partition0) }] },
      ]);
      expect(await groupLag(admin, group, topic.name)).toBe(1200 - partition0);
    } finally {
      await admin.disconnect();
      await topic.delete();
    }
  });

  it('counts PostgreSQL commits and batched rows exactly', async () => {
    const db = await createBenchDatabase('lib');
    try {
      const commits = await rawPgInsertCommit(db.url, 0.5, 2);
      expect(commits.count).toBeGreaterThan(0);
      expect(commits.latencyMs.count).toBe(commits.count);
      const batch = await pgBatchInsert(db.url, 2500, 1000);
      expect(batch.count).toBe(2500);
      // The scratch tables are dropped again.
      const client = new Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'bench_rows%'`,
      );
      await client.end();
      expect(Number(rows[0].n)).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('offers an even fixed rate with fresh bodies, and closed-loop load with exact latency counts', async () => {
    const seen = new Set<string>();
    const arrivals: number[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        arrivals.push(performance.now());
        seen.add(body);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const url = `http://127.0.0.1:${port}/`;
    try {
      const answers = new Map<number, string>();
      const fixed = await fixedRateLoad({
        url,
        method: 'POST',
        ratePerSecond: 50,
        durationSeconds: 2,
        nextRequest: (i) => ({ body: JSON.stringify({ n: i }) }),
        onResponse: (i, status, body) => answers.set(i, `${status} ${body}`),
      });
      expect(fixed).toMatchObject({ due: 100, sent: 100, ok: 100, non2xx: 0, errors: 0, dropped: 0 });
      expect(fixed.latencyMs.count).toBe(100);
      expect(seen.size).toBe(100);
      expect(answers.get(42)).toBe(`201 ${JSON.stringify({ echo: JSON.stringify({ n: 42 }) })}`);
      // Evenly spaced, not a burst per second: the typical gap between two arrivals is the 20 ms
      // period (a burst makes it ~0). The median, because a stall of a loaded machine is followed
      // by a few overdue requests at once, which a densest-window check counted as a burst.
      const gaps = arrivals
        .slice(1)
        .map((t, i) => t - arrivals[i])
        .sort((x, y) => x - y);
      expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThan(10);
      expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThan(30);
      expect(arrivals[arrivals.length - 1] - arrivals[0]).toBeGreaterThan(1500);

      let n = 0;
      const closed = await httpLoad({
        url,
        method: 'POST',
        connections: 2,
        durationSeconds: 1,
        nextRequest: () => ({ body: JSON.stringify({ closed: n++ }) }),
      });
      expect(closed.requests).toBeGreaterThan(0);
      expect(closed.ok).toBe(closed.requests);
      expect(closed.latencyMs.count).toBe(closed.requests);
      // Every body distinct; autocannon may leave one request per connection unanswered at the end.
      expect(seen.size).toBeGreaterThanOrEqual(100 + closed.requests);
      expect(seen.size).toBeLessThanOrEqual(100 + closed.requests + 2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps the maximum of a sampled value', async () => {
    const values = [3, 9, 4];
    let i = 0;
    const sampler = new MaxSampler(() => Promise.resolve(values[Math.min(i++, values.length - 1)]), 20);
    await waitFor('three samples', () => i >= 3);
    const { max, samples, errors } = await sampler.stop();
    expect(max).toBe(9);
    expect(samples).toBeGreaterThanOrEqual(3);
    expect(errors).toBe(0);
  });

  it('positions a fresh group at the end of several topics in one go', async () => {
    const kafka = testKafka(uniqueName('bench-lib-position'));
    const [a, b] = await Promise.all([
      createBenchTopic('bench-pos-a', 2, kafka),
      createBenchTopic('bench-pos-b', 3, kafka),
    ]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await rawProduce(kafka, a.name, 40, { batchSize: 10, concurrency: 1 });
      await rawProduce(kafka, b.name, 60, { batchSize: 10, concurrency: 1 });
      const group = uniqueName('bench-lib-at-end');
      expect(await groupPosition(admin, group, [a.name, b.name])).toEqual({ end: 100, committed: 0, lag: 100 });
      await positionGroupAtEnd(kafka, group, [a.name, b.name]);
      expect(await groupPosition(admin, group, [a.name, b.name])).toEqual({ end: 100, committed: 100, lag: 0 });
      await rawProduce(kafka, b.name, 7, { batchSize: 7, concurrency: 1 });
      expect(await groupPosition(admin, group, [a.name, b.name])).toEqual({ end: 107, committed: 100, lag: 7 });
    } finally {
      await admin.disconnect();
      await Promise.all([a.delete(), b.delete()]);
    }
  });

  it('finds processes by command line and measures the CPU of a group of them', async () => {
    const marker = uniqueName('bench-lib-spin');
    const spin = spawn(process.execPath, ['-e', 'const end = Date.now() + 1500; while (Date.now() < end);', marker]);
    try {
      await waitFor('spinner visible', () => findProcesses((c) => c.includes(marker)).length === 1);
      const [pid] = findProcesses((c) => c.includes(marker));
      expect(pid).toBe(spin.pid);
      const meter = await new GroupCpuMeter({
        spinner: () => findProcesses((c) => c.includes(marker)),
        none: [],
      }).start();
      await new Promise((r) => setTimeout(r, 500));
      const cpu = await meter.stop();
      expect(cpu.spinner).toBeGreaterThan(0);
      expect(cpu.none).toBe(0);
    } finally {
      spin.kill('SIGKILL');
    }
  });

  it('summarises a V8 CPU profile by self time per function and per origin', () => {
    const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
    const summary = summarizeCpuProfile({
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('query', 'file:///r/node_modules/pg/lib/client.js', 9) },
        { id: 4, callFrame: frame('apply', 'file:///r/dist/apps/ledger/src/apply.js', 41) },
      ],
      startTime: 0,
      endTime: 10_000,
      // Each sample lasts until the next one: 4 → 2000 µs, 3 → 3000, 2 → 4000, 4 → 1000, last → 0.
      samples: [4, 3, 2, 4, 3],
      timeDeltas: [0, 2000, 3000, 4000, 1000],
    });
    expect(summary.totalMs).toBe(10);
    expect(summary.idleMs).toBe(4);
    expect(summary.functions.map((f) => [f.name, f.selfMs])).toEqual([
      ['(idle)', 4],
      ['query (node_modules/pg/lib/client.js:10)', 3],
      ['apply (dist/apps/ledger/src/apply.js:42)', 3],
    ]);
    expect(summary.origins.find((o) => o.name === 'pg')).toMatchObject({ selfMs: 3, percent: 30 });
    expect(originOf('file:///x/node_modules/@nestjs/core/a.js', 'f')).toBe('@nestjs/core');
    expect(originOf('node:internal/streams', 'f')).toBe('node internals');
    expect(originOf('', '(garbage collector)')).toBe('GC');
  });

  it('runs registered cleanups once, newest first, and not the unregistered ones', async () => {
    const order: string[] = [];
    onCleanup(() => order.push('first'));
    const unregister = onCleanup(() => order.push('dropped'));
    onCleanup(() => order.push('second'));
    unregister();
    await runCleanups();
    await runCleanups();
    expect(order).toEqual(['second', 'first']);
  });
});
