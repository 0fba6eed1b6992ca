// `npm start`: the whole platform on the local default stack. Builds the apps, starts the parts
// of the stack that are not running, runs the six services under supervision (a service that
// dies is restarted with backoff, as an orchestrator would), prints every address, and on
// Ctrl-C / SIGTERM stops the services and the stack components it started, nothing else.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, ensureStack, stopStarted } from './lib/stack.mjs';

export const SERVICES = [
  ['payment', 3000],
  ['ledger', 3001],
  ['audit', 3002],
  ['risk', 3003],
  ['notifications', 3004],
  ['analytics', 3005],
];
const LOGS = path.join(ROOT, '.cache/logs');
const say = (msg) => console.log(`[paystream] ${msg}`);

say('building the services (tsc) ...');
const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const started = await ensureStack();
mkdirSync(LOGS, { recursive: true });

const children = new Map();
let stopping = false;

function launch(name, port, attempt = 0) {
  const env = { ...process.env, PORT: String(port), HOST: process.env.HOST || '127.0.0.1' };
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(ROOT, `dist/apps/${name}/src/main.js`)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(path.join(LOGS, `${name}.log`), { flags: 'a' });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  if (process.env.PAYSTREAM_ECHO_LOGS === 'true') {
    child.stdout.on('data', (d) => process.stdout.write(d));
    child.stderr.on('data', (d) => process.stderr.write(d));
  }
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    // A service that ran for a minute is healthy again: its backoff starts over.
    const next = Date.now() - startedAt > 60_000 ? 0 : attempt + 1;
    const delay = Math.min(30_000, 500 * 2 ** next);
    say(
      `${name} exited (${signal ?? 'code ' + code}); restarting in ${delay} ms (restart #${next}), log ${LOGS}/${name}.log`,
    );
    setTimeout(() => !stopping && launch(name, port, next), delay);
  });
  children.set(name, child);
}

for (const [name, port] of SERVICES) launch(name, port);

async function waitReady(port, deadline) {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.ok) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

const deadline = Date.now() + 120_000;
const ready = await Promise.all(SERVICES.map(([, port]) => waitReady(port, deadline)));
say('services:');
for (const [i, [name, port]] of SERVICES.entries()) {
  const url = `http://127.0.0.1:${port}`;
  console.log(
    `  ${name.padEnd(14)} ${url}  ${ready[i] ? 'ready' : 'NOT READY'}  (docs ${url}/docs, metrics ${url}/metrics)  log .cache/logs/${name}.log`,
  );
}
say(
  `kafka 127.0.0.1:9092 · schema registry http://127.0.0.1:8081/apis/ccompat/v7 · postgres ${process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432'}`,
);
say('Ctrl-C stops everything this command started.');

async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping services ...`);
  const exits = [...children.values()].map(
    (child) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => (clearTimeout(timer), resolve()));
        child.kill('SIGTERM');
      }),
  );
  await Promise.all(exits);
  if (started.length) say(`stopping the stack components started here: ${started.join(', ')}`);
  stopStarted(started);
  say('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
