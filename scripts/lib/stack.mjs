// Shared by `npm start` and `npm test`: bring up the parts of the local stack that are not
// running, remember which ones this process started, and stop exactly those at the end.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

function stackSh(...args) {
  const r = spawnSync('bash', [path.join(ROOT, 'infra/stack.sh'), ...args], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) throw new Error(`infra/stack.sh ${args.join(' ')} failed (exit ${r.status})`);
}

const isLocalKafka = () => !process.env.KAFKA_BROKERS || process.env.KAFKA_BROKERS === '127.0.0.1:9092';
const isLocalRegistry = () =>
  !process.env.SCHEMA_REGISTRY_URL || process.env.SCHEMA_REGISTRY_URL.startsWith('http://127.0.0.1:8081/');

/** Returns the list of components this call started (to be passed to stopStarted). */
export async function ensureStack() {
  const started = [];
  const kafkaUp = !isLocalKafka() || (await portOpen(9092));
  const registryUp = !isLocalRegistry() || (await portOpen(8081));
  if (!kafkaUp) started.push('kafka');
  if (!registryUp) started.push('registry');
  if (!isLocalKafka() && !isLocalRegistry()) {
    // An existing cluster and registry (README: pointing at existing infrastructure): only make
    // sure the databases and topics exist there.
    const r = spawnSync('node', [path.join(ROOT, 'scripts/stack-init.mjs')], { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) throw new Error('scripts/stack-init.mjs failed');
    return started;
  }
  // `up` starts only what is missing, then (re)creates databases and topics idempotently.
  stackSh('up');
  return started;
}

export function stopStarted(started) {
  for (const component of started) {
    try {
      stackSh('down', component);
    } catch (err) {
      console.error(`[stack] ${err.message}`);
    }
  }
}
