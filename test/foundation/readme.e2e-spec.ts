import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { TOPIC_SPECS, dlqTopic } from '@paystream/contracts';
import { sharedEnvShape } from '@paystream/platform';

// The README is what operators configure the platform from: it must name every variable the
// code reads and every topic the stack creates.
const ROOT = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Every `UPPER_CASE` name written in a table row of the README. */
function documentedVariables(): Set<string> {
  const rows = readme.split('\n').filter((line) => line.startsWith('|'));
  return new Set(rows.flatMap((row) => [...row.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1])));
}

async function serviceVariables(app: string): Promise<string[]> {
  // Loaded by path: a static import of an app from test/ is what the lint rule forbids for apps.
  const mod = (await import(path.join(ROOT, 'apps', app, 'src/config'))) as Record<string, unknown>;
  const key = Object.keys(mod).find((k) => k.endsWith('ConfigShape'));
  return key ? Object.keys(mod[key] as object) : [];
}

describe('README.md', () => {
  it('starts with the two commands: npm install && npm start, and npm test', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = firstBlock.split('\n').map((l) => l.split('#')[0].trim());
    expect(commands.slice(0, 2)).toEqual(['npm install && npm start', 'npm test']);
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('## '));
  });

  it('documents every shared configuration variable and every service variable in the code', async () => {
    const documented = documentedVariables();
    const missing = Object.keys(sharedEnvShape('payment', 3000)).filter((name) => !documented.has(name));
    for (const app of readdirSync(path.join(ROOT, 'apps'))) {
      missing.push(...(await serviceVariables(app)).filter((name) => !documented.has(name)));
    }
    expect(missing).toEqual([]);
  });

  it('documents no service variable that its service does not read', async () => {
    const stale: string[] = [];
    for (const app of readdirSync(path.join(ROOT, 'apps'))) {
      const known = new Set(await serviceVariables(app));
      const rows = readme.split('\n').filter((line) => new RegExp(`^\\| ${app} +\\|`).test(line));
      const names = rows.flatMap((row) => [...row.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
      stale.push(...names.filter((name) => !known.has(name)).map((name) => `${app}: ${name}`));
    }
    expect(stale).toEqual([]);
  });

  it('names every contract topic and each of its dead-letter topics', () => {
    for (const topic of TOPIC_SPECS) {
      expect(readme).toContain(`\`${topic.name}\``);
      for (const group of topic.consumers) {
        const dlq = dlqTopic(topic.name, group);
        const [, , tail] = dlq.split('.');
        expect(readme.includes(`\`${dlq}\``) || readme.includes(`\`${topic.name}.<group>.${tail}\``)).toBe(true);
      }
    }
  });
});
