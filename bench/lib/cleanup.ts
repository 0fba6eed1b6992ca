/**
 * What a scenario must undo however it ends: child processes, scratch databases, topics.
 * The scenario's own try/finally covers success and failure; onCleanup covers the signals
 * (Ctrl-C in a terminal, or bench/run.mjs stopping a scenario that overran), where no finally runs.
 */
type Task = () => unknown;

const tasks = new Set<Task>();
let installed = false;
let running: Promise<void> | undefined;

/** Runs every registered task, newest first, each at most once; errors are ignored. */
export function runCleanups(): Promise<void> {
  running ??= (async () => {
    for (const task of [...tasks].reverse()) {
      tasks.delete(task);
      try {
        await task();
      } catch {
        // keep undoing the rest
      }
    }
  })().finally(() => (running = undefined));
  return running;
}

/** Registers `task` for SIGINT/SIGTERM; returns a function that unregisters it (call it once done). */
export function onCleanup(task: Task): () => void {
  if (!installed) {
    installed = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        process.stderr.write(`[bench] ${signal}: stopping what this scenario started\n`);
        const exitCode = signal === 'SIGINT' ? 130 : 143;
        // A second signal, or cleanup that hangs, must not keep the process alive for ever.
        setTimeout(() => process.exit(exitCode), 30_000).unref();
        void runCleanups().finally(() => process.exit(exitCode));
      });
    }
  }
  tasks.add(task);
  return () => tasks.delete(task);
}
