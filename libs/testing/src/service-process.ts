import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './wait-for';

const ROOT = path.resolve(__dirname, '../../..');

export interface ServiceProcess {
  name: string;
  port: number;
  child: ChildProcess;
  output: string[];
  url(p: string): string;
  /** Resolves with the exit code, or the signal name. */
  exited: Promise<number | string>;
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(timeoutMs?: number): Promise<number | string>;
  /** kill -9: the crash tests' tool. */
  kill(): Promise<number | string>;
}

/**
 * Runs a built app (`npm run build` first; `npm test` does) as its own process, the way
 * `npm start` and production do, with the given environment on top of the caller's.
 */
export function startService(app: string, port: number, env: Record<string, string>): ServiceProcess {
  const main = path.join(ROOT, 'dist/apps', app, 'src/main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', main], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (d: Buffer) => {
    output.push(d.toString());
    if (output.length > 2000) output.splice(0, 1000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  return {
    name: app,
    port,
    child,
    output,
    url,
    exited,
    async waitReady(timeoutMs = 60_000) {
      let dead = false;
      void exited.then(() => (dead = true));
      await waitFor(
        `${app} ready on ${port}`,
        async () => {
          if (dead) throw new Error(`${app} exited during start-up:\n${output.join('').slice(-3000)}`);
          const res = await fetch(url('/health/ready'));
          return res.ok;
        },
        { timeoutMs, intervalMs: 200 },
      );
    },
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}
