// `node bench/clients/install.mjs [--force]`: installs the Kafka clients the client-comparison
// benchmark measures against kafkajs (bench/clients/package.json + its lock) into
// .cache/bench-clients, outside the root node_modules, so the root `npm ci` (and CI) never compiles
// librdkafka. bench/run.mjs calls ensureBenchClients() when it is about to run client-comparison.
//
// @confluentinc/kafka-javascript is a native addon. Its install script first downloads a prebuilt
// binary from github.com; where that is unreachable it builds the librdkafka bundled in the npm
// tarball. With its default static linking that build wants to download zlib/OpenSSL/zstd/curl
// sources (mklove --install-deps --source-deps-only), so we set CKJS_LINKING=dynamic: librdkafka
// is then configured against the system's libraries (the Debian -dev packages below), built as a
// shared library inside the package (build/deps) and the addon finds it through its rpath.
// node-gyp gets the headers of the running Node (npm_config_nodedir) instead of downloading them.
// The install is cached: it is redone only when the lock, the Node ABI or the platform changes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
/** Also known to bench/clients/load.ts (the compiled scenario looks for the clients here). */
export const CLIENTS_CACHE = path.join(ROOT, '.cache/bench-clients');
const CONFLUENT = '@confluentinc/kafka-javascript';
const PLATFORMATIC = '@platformatic/kafka';

/** What building librdkafka needs: a command or a pkg-config module, and the Debian package providing it. */
const NEEDS = [
  { command: 'g++', deb: 'g++' },
  { command: 'make', deb: 'make' },
  { command: 'python3', deb: 'python3' },
  { command: 'pkg-config', deb: 'pkg-config' },
  { module: 'zlib', deb: 'zlib1g-dev' },
  { module: 'libssl', deb: 'libssl-dev' },
  { module: 'libzstd', deb: 'libzstd-dev' },
  { module: 'libsasl2', deb: 'libsasl2-dev' },
  { module: 'libcurl', deb: 'libcurl4-openssl-dev' },
  { module: 'liblz4', deb: 'liblz4-dev' },
];

const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

function missingBuildDeps() {
  const hasPkgConfig = ok('sh', ['-c', 'command -v pkg-config']);
  return NEEDS.filter((n) =>
    n.command
      ? !ok('sh', ['-c', `command -v ${n.command}`])
      : !hasPkgConfig || !ok('pkg-config', ['--exists', n.module]),
  ).map((n) => n.deb);
}

/** Installs the missing Debian packages when root with apt-get; otherwise says the exact command. */
function ensureBuildDeps(say) {
  const missing = missingBuildDeps();
  if (!missing.length) {
    say('build dependencies of librdkafka present (compiler, pkg-config, zlib, OpenSSL, zstd, SASL, curl, lz4)');
    return;
  }
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0 || !ok('sh', ['-c', 'command -v apt-get'])) {
    say(`missing build dependencies of librdkafka; as root run: ${command}`);
    return;
  }
  say(`installing build dependencies: ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('sh', ['-c', command], { stdio: 'inherit', env });
  if (r.status !== 0) {
    say('apt-get install failed; running apt-get update and trying once more');
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('sh', ['-c', command], { stdio: 'inherit', env });
  }
  if (r.status !== 0) say(`apt-get install failed (exit ${r.status}); the native client may not build`);
}

function npm(args, env, log, say, what) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const out = [];
    const child = spawn('npm', args, { cwd: CLIENTS_CACHE, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    const beat = setInterval(
      () => say(`${what}: still running after ${Math.round((Date.now() - t0) / 1000)} s`),
      20_000,
    );
    child.on('close', (code) => {
      clearInterval(beat);
      writeFileSync(log, Buffer.concat(out));
      say(`${what}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${Math.round((Date.now() - t0) / 1000)} s`);
      resolve(code === 0);
    });
  });
}

/** The lines of a failed install that say why: the build's output before node-gyp's first `gyp ERR!`, or the end. */
function buildError(text) {
  const lines = text.trim().split('\n');
  const first = lines.findIndex((l) => l.startsWith('gyp ERR!'));
  if (first < 0) return lines.slice(-15).join('\n');
  const before = lines.slice(0, first).filter((l) => !l.startsWith('gyp info'));
  return [...before.slice(-8), ...lines.slice(first, first + 2)].join('\n');
}

function installKey() {
  const hash = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) hash.update(readFileSync(path.join(HERE, f)));
  hash.update(`${process.versions.modules} ${process.platform} ${process.arch}`);
  return hash.digest('hex').slice(0, 16);
}

/** How the native client got its binary, read from what its install left behind. */
function confluentBuild() {
  const pkg = path.join(CLIENTS_CACHE, 'node_modules', CONFLUENT);
  if (!existsSync(path.join(pkg, 'build/Release/confluent-kafka-javascript.node'))) return 'missing';
  return existsSync(path.join(pkg, 'build/deps/librdkafka.so.1'))
    ? 'built here from the bundled librdkafka, linked dynamically against the system libraries'
    : 'prebuilt binary (librdkafka statically linked)';
}

/**
 * Makes sure .cache/bench-clients holds the clients of bench/clients/package-lock.json, installing
 * them when missing or stale. Never throws: a client that cannot be installed is reported missing
 * and the benchmark measures the others. Returns the summary it also writes to install.json.
 */
export async function ensureBenchClients({
  force = false,
  say = (m) => process.stderr.write(`[clients] ${m}\n`),
} = {}) {
  const key = installKey();
  const summaryFile = path.join(CLIENTS_CACHE, 'install.json');
  if (!force && existsSync(summaryFile)) {
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    if (summary.key === key && summary.complete) {
      say(`benchmark clients already installed in ${path.relative(ROOT, CLIENTS_CACHE)} (${summary.date})`);
      return summary;
    }
  }
  say(
    `installing the benchmark clients into ${path.relative(ROOT, CLIENTS_CACHE)} (compiling librdkafka may take minutes)`,
  );
  ensureBuildDeps(say);
  rmSync(CLIENTS_CACHE, { recursive: true, force: true });
  mkdirSync(CLIENTS_CACHE, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(path.join(HERE, f), path.join(CLIENTS_CACHE, f));

  const env = { ...process.env, CKJS_LINKING: 'dynamic' };
  const nodePrefix = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(nodePrefix, 'include/node/node.h'))) {
    env.npm_config_nodedir = nodePrefix;
    say(`node-gyp uses the installed Node headers (${nodePrefix}/include/node)`);
  } else say('no Node headers next to the node binary; node-gyp will try to download them');

  const log = path.join(CLIENTS_CACHE, 'install.log');
  const flags = ['--no-audit', '--no-fund', '--foreground-scripts'];
  let installed = await npm(['ci', ...flags], env, log, say, `npm ci (CKJS_LINKING=dynamic)`);
  let error;
  if (!installed) {
    error = buildError(readFileSync(log, 'utf8'));
    say(`from ${path.relative(ROOT, log)}:\n${error}`);
    say('installing without install scripts so the pure-JavaScript clients can still be measured');
    installed = await npm(
      ['ci', ...flags, '--ignore-scripts'],
      env,
      `${log}.ignore-scripts`,
      say,
      'npm ci --ignore-scripts',
    );
  }
  const summary = {
    key,
    date: new Date().toISOString(),
    node: process.version,
    confluent: installed ? confluentBuild() : 'missing',
    platformatic:
      installed && existsSync(path.join(CLIENTS_CACHE, 'node_modules', PLATFORMATIC)) ? 'installed' : 'missing',
    log: path.relative(ROOT, log),
    ...(error ? { error } : {}),
  };
  // An incomplete install is not reused: the next run tries again.
  summary.complete = summary.confluent !== 'missing' && summary.platformatic !== 'missing';
  say(`${CONFLUENT}: ${summary.confluent}; ${PLATFORMATIC}: ${summary.platformatic}`);
  writeFileSync(summaryFile, JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  ensureBenchClients({ force }).then(
    (s) => process.exit(s.complete ? 0 : 1),
    (err) => {
      process.stderr.write(`[clients] ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
