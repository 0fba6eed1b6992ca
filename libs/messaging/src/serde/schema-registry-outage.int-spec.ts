import net from 'node:net';
import { AnyEvent, AvroRecord, EVENT_SCHEMAS } from '@paystream/contracts';
import { EVENT_EXAMPLES } from '@paystream/contracts/schemas/event-examples.fixture';
import { TEST_REGISTRY_URL, uniqueName } from '@paystream/testing';
import { PermanentError } from '../ports';
import { Type } from 'avsc';
import { SchemaRegistryCodec } from './schema-registry.codec';
import { writeWireHeader, WIRE_HEADER_BYTES } from './wire-format';

/** A local port in front of the shared registry that this test alone can take away. */
async function openGate(target: URL): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** LedgerPosted plus an optional field: a compatible, newer version with its own content id. */
async function registerNewerLedgerPosted(subject: string): Promise<{ id: number; schema: AvroRecord }> {
  const schema = JSON.parse(JSON.stringify(EVENT_SCHEMAS['ledger.posted'])) as {
    fields: { name: string; type: { fields: unknown[] } }[];
  };
  schema.fields
    .find((f) => f.name === 'data')
    ?.type.fields.push({ name: 'channel', type: ['null', 'string'], default: null });
  const res = await fetch(`${TEST_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: number };
  return { id, schema: schema as unknown as AvroRecord };
}

describe('SchemaRegistryCodec with writer schemas it has not seen yet', () => {
  it('keeps encoding and decoding warm schemas while the registry is away, and an unseen id fails as transient, not permanent', async () => {
    const registry = new URL(TEST_REGISTRY_URL);
    const gate = await openGate(registry);
    const viaGate = `${registry.protocol}//127.0.0.1:${gate.port}${registry.pathname}`;
    const topic = uniqueName('codec-outage');
    const event: AnyEvent = EVENT_EXAMPLES['ledger.posted'];

    const codec = await SchemaRegistryCodec.create({ url: viaGate });
    const bytes = await codec.encode(topic, event);
    // Bytes written by a newer producer with a schema version this codec has never seen.
    const unseenTopic = uniqueName('codec-outage-unseen');
    const { id, schema } = await registerNewerLedgerPosted(`${unseenTopic}-io.paystream.events.LedgerPosted`);
    const body = Type.forSchema(schema as never).toBuffer({ ...event, data: { ...event.data, channel: 'api' } });
    const unseen = Buffer.alloc(WIRE_HEADER_BYTES + body.length);
    writeWireHeader(unseen, id);
    body.copy(unseen, WIRE_HEADER_BYTES);

    await gate.close();

    expect(await codec.decode(topic, bytes)).toStrictEqual(event);
    expect(await codec.decode(topic, await codec.encode(topic, event))).toStrictEqual(event);
    const failure = await codec.decode(unseenTopic, unseen).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(PermanentError);
    // A later attempt is not answered from a cached failure: it asks the registry again.
    const lookups = codec.registryCalls.schemaLookups;
    await codec.decode(unseenTopic, unseen).catch(() => undefined);
    expect(codec.registryCalls.schemaLookups).toBe(lookups + 1);
  });

  it('reads data of a newer compatible version into its own shape once the schema is fetched', async () => {
    const topic = uniqueName('codec-newer');
    const event: AnyEvent = EVENT_EXAMPLES['ledger.posted'];
    const { id, schema } = await registerNewerLedgerPosted(`${topic}-io.paystream.events.LedgerPosted`);
    const body = Type.forSchema(schema as never).toBuffer({ ...event, data: { ...event.data, channel: 'api' } });
    const bytes = Buffer.alloc(WIRE_HEADER_BYTES + body.length);
    writeWireHeader(bytes, id);
    body.copy(bytes, WIRE_HEADER_BYTES);

    const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    expect(await codec.decode(topic, bytes)).toStrictEqual(event);
  });
});
