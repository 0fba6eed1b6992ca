// `npm test`: every suite. Static checks first (lint, type-check, build), then unit tests, then
// the integration and end-to-end suites against the real broker, registry and PostgreSQL,
// starting the parts of the stack that are not running and stopping only those afterwards.
//
// Wall time matters (CI must stay well under its limit), so independent work overlaps: the stack
// starts in the background while the static checks run, lint and the type-check run side by side
// (each is one single-threaded process), then the build and the unit tests. The integration and
// end-to-end tiers still run one after the other, each in band: their suites share the broker and
// fixed ports. The output of parallel steps is held back and printed whole when each ends.
import { spawn } from 'node:child_process';
import { ROOT, stopStarted } from './lib/stack.mjs';

const only = process.argv.slice(2);
const seconds = (t0) => ((Date.now() - t0) / 1000).toFixed(1);

/** Runs one step; with `quiet` its output is buffered and printed when it ends. Resolves to ok. */
function step(title, cmd, args, { quiet = false } = {}) {
  const t0 = Date.now();
  console.log(`\n[test] ${title}: ${cmd} ${args.join(' ')}${quiet ? ' (output when done)' : ''}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    const chunks = [];
    child.stdout?.on('data', (d) => chunks.push(d));
    child.stderr?.on('data', (d) => chunks.push(d));
    child.once('error', (err) => chunks.push(Buffer.from(`${err.message}\n`)));
    child.once('close', (code) => {
      if (chunks.length) process.stdout.write(`\n[test] ${title} output:\n${Buffer.concat(chunks).toString()}`);
      console.log(`[test] ${title}: ${code === 0 ? 'ok' : 'FAILED'} in ${seconds(t0)} s`);
      resolve(code === 0);
    });
  });
}

const jest = (project, extra = []) => [
  'jest',
  '--selectProjects',
  project,
  '--runInBand',
  '--testTimeout=420000',
  '--forceExit',
  // `npm test -- test/foundation` selects suites of one tier; the others then have none.
  ...(only.length ? ['--passWithNoTests'] : []),
  ...extra,
  ...only,
];

/**
 * scripts/lib/stack.mjs's ensureStack() in a child process, so that its synchronous `stack.sh up`
 * (JVM starts) overlaps the static checks. Resolves to the components it started, or an error.
 */
function startStack() {
  const t0 = Date.now();
  console.log('\n[test] stack: starting what is not running, in the background');
  const code = `import(${JSON.stringify(new URL('./lib/stack.mjs', import.meta.url).href)})
    .then((m) => m.ensureStack())
    .then((started) => process.stdout.write('\\n@@started ' + JSON.stringify(started) + '\\n'))`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.once('close', (exit) => {
      const output = Buffer.concat(chunks).toString();
      const marker = /^@@started (.*)$/m.exec(output);
      process.stdout.write(`\n[test] stack output:\n${output.replace(/^@@started .*\n?/m, '')}`);
      console.log(`[test] stack: ${exit === 0 && marker ? 'up' : 'FAILED'} after ${seconds(t0)} s`);
      resolve(exit === 0 && marker ? { started: JSON.parse(marker[1]) } : { error: `exit ${exit}`, started: [] });
    });
  });
}

const t0 = Date.now();
const stack = startStack();
let ok = (
  await Promise.all([
    step('lint', 'npm', ['run', '-s', 'lint'], { quiet: true }),
    step('type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { quiet: true }),
  ])
).every(Boolean);
ok =
  ok &&
  (
    await Promise.all([
      step('build', 'npm', ['run', '-s', 'build'], { quiet: true }),
      step('unit', 'npx', jest('unit'), { quiet: true }),
    ])
  ).every(Boolean);

const { started, error } = await stack;
try {
  if (error) ok = false;
  if (ok) ok = (await step('integration', 'npx', jest('integration'))) && (await step('e2e', 'npx', jest('e2e')));
} finally {
  stopStarted(started);
}
console.log(`\n[test] ${ok ? 'all suites passed' : 'FAILED'} in ${seconds(t0)} s`);
process.exit(ok ? 0 : 1);
