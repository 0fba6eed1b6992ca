import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { evictDeadMembers } from './consumer-groups';
import { TEST_BROKERS } from './kafka';
import { uniqueName, waitFor } from './wait-for';

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
  /** This process's KAFKA_CLIENT_ID (its own unless the caller gave one): names its group members. */
  kafkaClientId: string;
  /**
   * After kill(): removes this dead process's members from the consumer group at once, so the
   * replacement's join does not wait out their session (see evictDeadMembers). Needs a
   * KAFKA_CLIENT_ID of this process alone, which startService gives unless the caller set one.
   */
  evictFromGroup(group: string): Promise<number>;
}

/** A TCP port free on 127.0.0.1 right now (for a service's PORT). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Runs a built app (`npm run build` first; `npm test` does) as its own process, the way
 * `npm start` and production do, with the given environment on top of the caller's.
 */
export function startService(app: string, port: number, env: Record<string, string>): ServiceProcess {
  const main = path.join(ROOT, 'dist/apps', app, 'src/main.js');
  const kafkaClientId = env.KAFKA_CLIENT_ID ?? uniqueName(`test-${app}`);
  const child = spawn(process.execPath, ['--enable-source-maps', main], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      KAFKA_CLIENT_ID: kafkaClientId,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
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
    kafkaClientId,
    child,
    output,
    url,
    exited,
    async waitReady(timeoutMs = 60_000) {
      let dead = false;
      void exited.then(() => (dead = true));
      // A process that died ends the wait at once (a probe that throws would be retried until
      // the deadline).
      const outcome = await waitFor(
        `${app} ready on ${port}`,
        async () => (dead ? 'exited' : (await fetch(url('/health/ready'))).ok && 'ready'),
        { timeoutMs, intervalMs: 200 },
      );
      if (outcome === 'exited') throw new Error(`${app} exited during start-up:\n${output.join('').slice(-3000)}`);
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
    async evictFromGroup(group: string) {
      if (child.exitCode === null && child.signalCode === null) throw new Error(`${app} is still running`);
      const brokers = (env.KAFKA_BROKERS ?? process.env.KAFKA_BROKERS)?.split(',') ?? TEST_BROKERS;
      return evictDeadMembers(group, (m) => m.clientId.startsWith(`${kafkaClientId}-`), brokers);
    },
  };
}
