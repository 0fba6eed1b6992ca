// Lets the fault tests run their TypeScript child scripts straight from source, without a build:
// `node -r ./test/messaging/ts-register.cjs test/messaging/consumer-child.ts`. Compiles .ts files
// with the same swc settings as jest and maps the @paystream/* aliases to libs/*/src.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '../..');
const { $schema: _schema, ...swcOptions } = require(path.join(root, 'swcrc.json'));
const alias = /^@paystream\/(contracts|messaging|money|persistence|observability|platform|testing)(\/.*)?$/;

// TypeScript first: `./topics` must find topics.ts, not the topics.json beside it (Node's own
// order would try .json before a registered .ts).
function typescriptFile(base) {
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, parent, ...rest) {
  const m = alias.exec(request);
  let mapped = m ? path.join(root, 'libs', m[1], 'src', m[2] || '') : request;
  if (m || (request.startsWith('.') && parent && parent.filename)) {
    const base = m ? mapped : path.resolve(path.dirname(parent.filename), request);
    mapped = typescriptFile(base) || mapped;
  }
  return resolve.call(this, mapped, parent, ...rest);
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...swcOptions, filename, sourceMaps: 'inline' });
  module._compile(code, filename);
};
