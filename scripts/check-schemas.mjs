#!/usr/bin/env node
// Checks the current event schemas (libs/contracts) against their released versions in
// libs/contracts/schema-history/<subject>/v<N>.json, the same rule the registry enforces:
// BACKWARD_TRANSITIVE, i.e. the current schema must read data written with every released one.
//
//   node scripts/check-schemas.mjs           check only; exit 1 on an incompatible or unrecorded change
//   node scripts/check-schemas.mjs --record  additionally write v<N+1>.json for every compatible change
//
// The unit test libs/contracts/src/schemas/schema-history.spec.ts runs the same check in `npm test`.
import { readdirSync, readFileSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const swc = require('@swc/core');
const avro = require('avsc');
const prettier = require('prettier');

// The schemas are TypeScript: compile them on the fly instead of requiring a build first.
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
// Node tries extensions in registration order: `./topics` must find topics.ts before topics.json.
for (const ext of ['.json', '.node']) {
  const loader = require.extensions[ext];
  delete require.extensions[ext];
  require.extensions[ext] = loader;
}

const { CONTRACT_SUBJECTS } = require(join(root, 'libs/contracts/src/schemas/event-schemas.ts'));
const historyRoot = join(root, 'libs/contracts/schema-history');
const record = process.argv.includes('--record');

function releasedVersions(subject) {
  const dir = join(historyRoot, subject);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^v(\d+)\.json$/.exec(f))
    .filter(Boolean)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
    .map((n) => ({ n, schema: JSON.parse(readFileSync(join(dir, `v${n}.json`), 'utf8')) }));
}

let failed = 0;
for (const { subject, schema } of CONTRACT_SUBJECTS) {
  const versions = releasedVersions(subject);
  const current = JSON.parse(JSON.stringify(schema));
  const reader = avro.Type.forSchema(current);
  const incompatible = versions.filter(({ schema: old }) => {
    try {
      reader.createResolver(avro.Type.forSchema(old));
      return false;
    } catch {
      return true;
    }
  });
  const latest = versions.at(-1);
  if (incompatible.length) {
    failed++;
    console.error(`✗ ${subject}: cannot read released ${incompatible.map((v) => `v${v.n}`).join(', ')}`);
  } else if (latest && isDeepStrictEqual(latest.schema, current)) {
    console.log(`✓ ${subject}: v${latest.n} is current`);
  } else if (record) {
    const next = (latest?.n ?? 0) + 1;
    mkdirSync(join(historyRoot, subject), { recursive: true });
    const file = join(historyRoot, subject, `v${next}.json`);
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    writeFileSync(file, await prettier.format(JSON.stringify(current, null, 2), options));
    console.log(`+ ${subject}: recorded v${next}`);
  } else {
    failed++;
    console.error(`✗ ${subject}: changed compatibly but not recorded (run with --record)`);
  }
}
process.exit(failed ? 1 : 0);
