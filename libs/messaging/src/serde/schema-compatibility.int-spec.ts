import { AvroRecord, EVENT_SCHEMAS } from '@paystream/contracts';
import { EVENT_EXAMPLES } from '@paystream/contracts/schemas/event-examples.fixture';
import { TEST_REGISTRY_URL, uniqueName } from '@paystream/testing';
import { Type } from 'avsc';
import { PermanentError } from '../ports';
import { SchemaRegistryCodec } from './schema-registry.codec';
import { writeWireHeader, WIRE_HEADER_BYTES } from './wire-format';

const CONTENT_TYPE = { 'content-type': 'application/vnd.schemaregistry.v1+json' };

async function setCompatibility(subject: string, compatibility: string): Promise<void> {
  const res = await fetch(`${TEST_REGISTRY_URL}/config/${encodeURIComponent(subject)}`, {
    method: 'PUT',
    headers: CONTENT_TYPE,
    body: JSON.stringify({ compatibility }),
  });
  expect(res.status).toBe(200);
}

/** POST a new version; answers the HTTP status and the id (on success). */
async function register(subject: string, schema: AvroRecord): Promise<{ status: number; id?: number }> {
  const res = await fetch(`${TEST_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: CONTENT_TYPE,
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  const body = (await res.json()) as { id?: number };
  return { status: res.status, id: body.id };
}

async function versions(subject: string): Promise<number[]> {
  const res = await fetch(`${TEST_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`);
  return (await res.json()) as number[];
}

/** The PaymentInitiated schema with its data fields edited. */
function paymentInitiatedWith(edit: (fields: AvroRecord['fields']) => AvroRecord['fields']): AvroRecord {
  const copy = JSON.parse(JSON.stringify(EVENT_SCHEMAS['payment.initiated'])) as {
    fields: { name: string; type: AvroRecord }[];
  };
  const data = copy.fields.find((f) => f.name === 'data') as { type: AvroRecord };
  data.type = { ...data.type, fields: edit(data.type.fields) };
  return copy as unknown as AvroRecord;
}

const current = paymentInitiatedWith((f) => f);
const withRequiredField = paymentInitiatedWith((f) => [...f, { name: 'channel', type: 'string' }]);
const withOptionalField = paymentInitiatedWith((f) => [
  ...f,
  { name: 'channel', type: ['null', 'string'], default: null },
]);
const withoutReference = paymentInitiatedWith((f) => f.filter((x) => x.name !== 'reference'));
// Readable from withoutReference (the default applies) but not from `current` (string → int).
const referenceAsInt = paymentInitiatedWith((f) => [
  ...f.filter((x) => x.name !== 'reference'),
  { name: 'reference', type: 'int', default: 0 },
]);

describe('schema registry compatibility (BACKWARD_TRANSITIVE)', () => {
  it('refuses a new required field without a default and accepts a new optional field with one', async () => {
    const subject = uniqueName('compat-topic') + '-io.paystream.events.PaymentInitiated';
    await setCompatibility(subject, 'BACKWARD_TRANSITIVE');
    const v1 = await register(subject, current);
    expect(v1.status).toBe(200);

    expect((await register(subject, withRequiredField)).status).toBe(409);
    const v2 = await register(subject, withOptionalField);
    expect(v2.status).toBe(200);
    expect(v2.id).not.toBe(v1.id);
    expect(await versions(subject)).toEqual([1, 2]);
  });

  it('checks a new version against every earlier one, not only the latest', async () => {
    const transitive = uniqueName('compat-transitive') + '-io.paystream.events.PaymentInitiated';
    const latestOnly = uniqueName('compat-backward') + '-io.paystream.events.PaymentInitiated';
    await setCompatibility(transitive, 'BACKWARD_TRANSITIVE');
    await setCompatibility(latestOnly, 'BACKWARD');
    for (const subject of [transitive, latestOnly]) {
      expect((await register(subject, current)).status).toBe(200);
      expect((await register(subject, withoutReference)).status).toBe(200);
    }
    expect((await register(transitive, referenceAsInt)).status).toBe(409);
    expect((await register(latestOnly, referenceAsInt)).status).toBe(200);
    expect(await versions(transitive)).toEqual([1, 2]);
    expect(await versions(latestOnly)).toEqual([1, 2, 3]);
  });

  it('decodes data written with an older registered version into the current shape', async () => {
    const topic = uniqueName('compat-old-writer');
    const subject = `${topic}-io.paystream.events.PaymentInitiated`;
    const older = paymentInitiatedWith((f) => f.filter((x) => x.name !== 'metadata'));
    await setCompatibility(subject, 'BACKWARD_TRANSITIVE');
    const { id } = await register(subject, older);
    expect(id).toBeGreaterThan(0);

    const { metadata: _dropped, ...oldData } = EVENT_EXAMPLES['payment.initiated'].data;
    const body = Type.forSchema(older as never).toBuffer({ ...EVENT_EXAMPLES['payment.initiated'], data: oldData });
    const bytes = Buffer.alloc(WIRE_HEADER_BYTES + body.length);
    writeWireHeader(bytes, id as number);
    body.copy(bytes, WIRE_HEADER_BYTES);

    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    expect(await codec.decode(topic, bytes)).toStrictEqual({
      ...EVENT_EXAMPLES['payment.initiated'],
      data: { ...oldData, metadata: null },
    });
    // The codec's current schema registers on top of the old one: it is a compatible evolution.
    expect(await codec.schemaId(topic, 'payment.initiated')).not.toBe(id);
    expect(await versions(subject)).toEqual([1, 2]);
  });

  it('refuses to encode for a subject whose history the current schema cannot read, naming the subject', async () => {
    const topic = uniqueName('compat-refused');
    const subject = `${topic}-io.paystream.events.PaymentInitiated`;
    const referenceWasInt = paymentInitiatedWith((f) => [
      ...f.filter((x) => x.name !== 'reference'),
      { name: 'reference', type: 'int' },
    ]);
    await setCompatibility(subject, 'BACKWARD_TRANSITIVE');
    expect((await register(subject, referenceWasInt)).status).toBe(200);

    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const failure = await codec.encode(topic, EVENT_EXAMPLES['payment.initiated']).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(PermanentError);
    expect((failure as Error).message).toContain(`cannot register ${subject}`);
    expect(await versions(subject)).toEqual([1]);
  });
});
