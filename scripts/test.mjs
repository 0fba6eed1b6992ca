// `npm test`: every suite. Static checks first (lint, type-check, build), then unit tests, then
// the integration and end-to-end suites against the real broker, registry and PostgreSQL,
// starting the parts of the stack that are not running and stopping only those afterwards.
import { spawnSync } from 'node:child_process';
import { ROOT, ensureStack, stopStarted } from './lib/stack.mjs';

const only = process.argv.slice(2);
const step = (title, cmd, args) => {
  const t0 = Date.now();
  console.log(`\n[test] ${title}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  console.log(`[test] ${title}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r.status === 0;
};
const jest = (project, extra = []) => [
  'jest',
  '--selectProjects',
  project,
  '--runInBand',
  '--testTimeout=420000',
  '--forceExit',
  ...extra,
  ...only,
];

let ok =
  step('lint', 'npm', ['run', '-s', 'lint']) &&
  step('type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) &&
  step('build', 'npm', ['run', '-s', 'build']) &&
  step('unit', 'npx', jest('unit'));

if (ok) {
  const started = await ensureStack();
  try {
    ok = step('integration', 'npx', jest('integration')) && step('e2e', 'npx', jest('e2e'));
  } finally {
    stopStarted(started);
  }
}
console.log(`\n[test] ${ok ? 'all suites passed' : 'FAILED'}`);
process.exit(ok ? 0 : 1);
