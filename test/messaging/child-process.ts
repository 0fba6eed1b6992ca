import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A TypeScript helper script of this folder running as its own process (kill -9 is the point). */
export interface Child {
  process: ChildProcess;
  output: string[];
  exited: Promise<number | string>;
  /** Resolves when a stdout line matches (or rejects when the process exits first). */
  line(pattern: RegExp): Promise<string>;
  kill9(): Promise<number | string>;
  stop(): Promise<number | string>;
}

export function runChild(script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['-r', path.join(__dirname, 'ts-register.cjs'), path.join(__dirname, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let buffer = '';
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      output.push(line);
      for (const l of listeners) l(line);
    }
  });
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    process: child,
    output,
    exited,
    line(pattern) {
      const found = output.find((l) => pattern.test(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const listener = (l: string) => {
          if (!pattern.test(l)) return;
          listeners.delete(listener);
          resolve(l);
        };
        listeners.add(listener);
        void exited.then((code) => {
          listeners.delete(listener);
          reject(
            new Error(`${script} exited (${code}) before printing ${pattern}:\n${output.join('\n').slice(-2000)}`),
          );
        });
      });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
