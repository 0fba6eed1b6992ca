import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import { AvroRecord } from './avro-schema';
import { CONTRACT_SUBJECTS } from './event-schemas';

/*
 * The guard that runs in `npm test` (README.md, "Evolving a schema"): every released version of a
 * subject lives in schema-history/<subject>/v<N>.json, the current schema must be the latest of
 * them, and it must read data written with every one of them (BACKWARD_TRANSITIVE, the rule the
 * registry enforces at start-up, where a violation would stop the service instead of the build).
 */
const HISTORY = join(__dirname, '../../schema-history');

function released(subject: string): { version: number; schema: AvroRecord }[] {
  const dir = join(HISTORY, subject);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((file) => /^v(\d+)\.json$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
    .map((version) => ({
      version,
      schema: JSON.parse(readFileSync(join(dir, `v${version}.json`), 'utf8')) as AvroRecord,
    }));
}

/** The names of the released versions that `current` cannot read; empty when compatible. */
function unreadable(current: AvroRecord, versions: { version: number; schema: AvroRecord }[]): string[] {
  const reader = Type.forSchema(current as never);
  return versions
    .filter(({ schema }) => {
      try {
        reader.createResolver(Type.forSchema(schema as never));
        return false;
      } catch {
        return true;
      }
    })
    .map(({ version }) => `v${version}`);
}

function withDataFields(schema: AvroRecord, edit: (fields: AvroRecord['fields']) => AvroRecord['fields']): AvroRecord {
  const copy = JSON.parse(JSON.stringify(schema)) as { fields: { name: string; type: AvroRecord }[] };
  const data = copy.fields.find((f) => f.name === 'data') as { type: AvroRecord };
  data.type = { ...data.type, fields: edit(data.type.fields) };
  return copy as unknown as AvroRecord;
}

describe('schema history (BACKWARD_TRANSITIVE guard)', () => {
  it.each(CONTRACT_SUBJECTS.map((s) => [s.subject, s.schema] as const))(
    '%s: versions are v1..vN and the current schema is recorded as the latest',
    (subject, schema) => {
      const versions = released(subject);
      expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1));
      expect(versions.length).toBeGreaterThan(0);
      // On failure: the schema changed without a new version; `node scripts/check-schemas.mjs --record`.
      expect(versions[versions.length - 1].schema).toStrictEqual(JSON.parse(JSON.stringify(schema)));
    },
  );

  it.each(CONTRACT_SUBJECTS.map((s) => [s.subject, s.schema] as const))(
    '%s: the current schema reads every released version',
    (subject, schema) => {
      expect(unreadable(schema, released(subject))).toEqual([]);
    },
  );

  it('catches a new required field without a default and accepts one with a default', () => {
    const { subject, schema } = CONTRACT_SUBJECTS[0];
    const history = released(subject);
    const required = withDataFields(schema, (f) => [...f, { name: 'channel', type: 'string' }]);
    const optional = withDataFields(schema, (f) => [
      ...f,
      { name: 'channel', type: ['null', 'string'], default: null },
    ]);
    expect(unreadable(required, history)).toEqual(history.map((v) => `v${v.version}`));
    expect(unreadable(optional, history)).toEqual([]);
  });

  it('catches a changed field type, against an older version too (transitive)', () => {
    const { subject, schema } = CONTRACT_SUBJECTS[0];
    const v1 = withDataFields(schema, (f) => f);
    const v2 = withDataFields(schema, (f) => f.filter((x) => x.name !== 'reference'));
    // Compatible with v2 (which has no reference: the default applies) but not with v1 (string).
    const v3 = withDataFields(schema, (f) => [
      ...f.filter((x) => x.name !== 'reference'),
      { name: 'reference', type: 'int', default: 0 },
    ]);
    expect(unreadable(v2, [{ version: 1, schema: v1 }])).toEqual([]);
    expect(
      unreadable(v3, [
        { version: 1, schema: v1 },
        { version: 2, schema: v2 },
      ]),
    ).toEqual(['v1']);
    expect(released(subject).length).toBeGreaterThan(0);
  });
});
