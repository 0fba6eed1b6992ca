import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { onCleanup } from './cleanup';

// dist/bench/lib when built, bench/lib under jest.
const ROOT = path.resolve(__dirname, __dirname.split(path.sep).includes('dist') ? '../../..' : '../..');

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  app: string;
  port: number;
  pid: number;
  child: ChildProcess;
  url(p: string): string;
  /** The last lines it wrote (stdout and stderr), for a failure message. */
  tail(): string;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Runs a built app (dist/apps/<app>/src/main.js, as `npm start` and production do) as its own
 * process with `env` on top of the bench's environment, and waits for GET /health/ready.
 * (libs/testing's startService does the same for the test suites but is not part of the build.)
 */
export async function startApp(
  app: string,
  port: number,
  env: Record<string, string>,
  readyTimeoutMs = 120_000,
): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(ROOT, 'dist/apps', app, 'src/main.js')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (d: Buffer) => {
    lines.push(d.toString());
    if (lines.length > 200) lines.splice(0, 100);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  const proc: AppProcess = {
    app,
    port,
    pid: child.pid ?? 0,
    child,
    url,
    tail: () => lines.join('').slice(-3000),
    async stop(timeoutMs = 15_000) {
      unregister();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  // Stopped on Ctrl-C or a kill even while it is still starting (nobody holds it yet).
  const unregister = onCleanup(() => proc.stop());
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      unregister();
      throw new Error(`${app} exited during start-up (${child.exitCode ?? child.signalCode}):\n${proc.tail()}`);
    }
    const ready = await fetch(url('/health/ready')).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return proc;
    if (performance.now() > deadline) {
      await proc.stop();
      throw new Error(`${app} not ready on ${port} in ${readyTimeoutMs} ms:\n${proc.tail()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
