import { AnyEvent, CONTRACT_SUBJECTS, EVENT_TYPES, schemaFullName, TOPICS } from '@paystream/contracts';
import { EVENT_EXAMPLES } from '@paystream/contracts/schemas/event-examples.fixture';
import { TEST_REGISTRY_URL, uniqueName } from '@paystream/testing';
import { PermanentError } from '../ports';
import { SchemaRegistryCodec } from './schema-registry.codec';

async function registryGet<T>(path: string): Promise<T> {
  const res = await fetch(`${TEST_REGISTRY_URL}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function permanentCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PermanentError) return err.code;
    throw err;
  }
  throw new Error('expected a PermanentError, got a result');
}

function withoutKey(obj: object, key: string): object {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));
}

describe(SchemaRegistryCodec.name, () => {
  let codec: SchemaRegistryCodec;

  beforeAll(async () => {
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
  });

  it('registers every contract subject at start-up under BACKWARD_TRANSITIVE', async () => {
    expect(CONTRACT_SUBJECTS).toHaveLength(EVENT_TYPES.length);
    for (const s of CONTRACT_SUBJECTS) {
      const config = await registryGet<{ compatibilityLevel: string }>(`/config/${encodeURIComponent(s.subject)}`);
      expect(config.compatibilityLevel).toBe('BACKWARD_TRANSITIVE');
      const latest = await registryGet<{ id: number }>(`/subjects/${encodeURIComponent(s.subject)}/versions/latest`);
      expect(await codec.schemaId(s.topic, s.type)).toBe(latest.id);
    }
    expect(CONTRACT_SUBJECTS.map((s) => s.subject)).toContain('payment-events-io.paystream.events.PaymentInitiated');
  });

  it('registers idempotently: a second start-up adds no version and gets the same ids', async () => {
    const subject = CONTRACT_SUBJECTS[0].subject;
    const before = await registryGet<number[]>(`/subjects/${encodeURIComponent(subject)}/versions`);
    const again = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const after = await registryGet<number[]>(`/subjects/${encodeURIComponent(subject)}/versions`);
    expect(after).toEqual(before);
    for (const s of CONTRACT_SUBJECTS) {
      expect(await again.schemaId(s.topic, s.type)).toBe(await codec.schemaId(s.topic, s.type));
    }
  });

  it.each(EVENT_TYPES)('round-trips %s through the registry in the Confluent wire format', async (type) => {
    const topic = uniqueName('codec-topic');
    const event: AnyEvent = EVENT_EXAMPLES[type];
    const bytes = await codec.encode(topic, event);

    const subject = `${topic}-${schemaFullName(type)}`;
    const registered = await registryGet<{ id: number }>(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(registered.id);

    // A fresh codec knows nothing of the id yet: it must fetch the writer schema by id.
    const reader = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    const decoded = await reader.decode(topic, bytes);
    expect(decoded).toStrictEqual(event);
    // Plain objects straight from the decode, nested records included (no avsc record classes).
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.getPrototypeOf((decoded as { data: object }).data)).toBe(Object.prototype);
  });

  it('refuses to encode a schema-invalid event with SCHEMA_INVALID', async () => {
    const topic = uniqueName('codec-invalid');
    const ok = EVENT_EXAMPLES['payment.initiated'];
    const cases: unknown[] = [
      { ...ok, data: withoutKey(ok.data, 'amount') },
      { ...ok, version: 'one' },
      { ...ok, data: { ...ok.data, amount: 125.5 } },
      { ...ok, data: { ...ok.data, unknownField: 'x' } },
      { ...ok, type: 'payment.unheard-of' },
      { ...EVENT_EXAMPLES['risk.assessed'], data: { ...EVENT_EXAMPLES['risk.assessed'].data, decision: 'MAYBE' } },
    ];
    const codes = await Promise.all(cases.map((c) => permanentCode(codec.encode(topic, c as AnyEvent))));
    expect(codes).toEqual(cases.map(() => 'SCHEMA_INVALID'));
    await expect(codec.encode(topic, cases[2] as AnyEvent)).rejects.toThrow(/at: data\.amount$/);
  });

  it('fills fields that have a default when the event omits them (e.g. an outbox row older than the field)', async () => {
    const topic = uniqueName('codec-defaults');
    const full = EVENT_EXAMPLES['payment.initiated'];
    const { reference: _r, metadata: _m, ...olderData } = full.data;
    const bytes = await codec.encode(topic, { ...full, data: olderData } as unknown as AnyEvent);
    expect(await codec.decode(topic, bytes)).toStrictEqual({
      ...full,
      data: { ...olderData, reference: null, metadata: null },
    });
  });

  it('refuses an event on a contract topic that does not carry its type', async () => {
    expect(await permanentCode(codec.encode(TOPICS.riskDecisions, EVENT_EXAMPLES['payment.initiated']))).toBe(
      'SCHEMA_INVALID',
    );
  });

  it('maps garbage bytes, unknown schema ids and truncated bodies to UNDECODABLE', async () => {
    const topic = uniqueName('codec-garbage');
    const good = await codec.encode(topic, EVENT_EXAMPLES['payment.settled']);
    const unknownId = Buffer.from(good);
    unknownId.writeInt32BE(2_000_000_000, 1);
    const wrongMagic = Buffer.from(good);
    wrongMagic[0] = 1;
    const inputs = [
      Buffer.from('{"type":"payment.initiated"}'),
      Buffer.alloc(0),
      Buffer.from([0, 0, 0]),
      wrongMagic,
      unknownId,
      good.subarray(0, good.length - 7),
      Buffer.concat([good, Buffer.from([1, 2, 3])]),
    ];
    const codes = await Promise.all(inputs.map((b) => permanentCode(codec.decode(topic, b))));
    expect(codes).toEqual(inputs.map(() => 'UNDECODABLE'));
  });

  it('encodes and decodes without the registry once warm (cost per message measured)', async () => {
    const topic = uniqueName('codec-bench');
    const n = 1_000;
    const results: Record<string, { encodeUs: number; decodeUs: number }> = {};
    for (const type of ['payment.initiated', 'payment.settled'] as const) {
      const event = EVENT_EXAMPLES[type];
      const fresh = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
      const warm = await fresh.decode(topic, await codec.encode(topic, event));
      expect(warm).toStrictEqual(event);
      const sample = await fresh.encode(topic, event);
      for (let i = 0; i < 1_000; i++) await fresh.decode(topic, await fresh.encode(topic, event)); // JIT warm-up
      const callsWhenWarm = fresh.registryCalls;

      // Best of several rounds: the machine is shared, and the minimum is the codec's own cost.
      let bytes = sample;
      let last: AnyEvent | undefined;
      const best = { encodeUs: Infinity, decodeUs: Infinity };
      for (let round = 0; round < 5; round++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < n; i++) bytes = await fresh.encode(topic, event);
        const t1 = process.hrtime.bigint();
        for (let i = 0; i < n; i++) last = await fresh.decode(topic, bytes);
        const t2 = process.hrtime.bigint();
        best.encodeUs = Math.min(best.encodeUs, Number(t1 - t0) / 1000 / n);
        best.decodeUs = Math.min(best.decodeUs, Number(t2 - t1) / 1000 / n);
      }

      expect(last).toStrictEqual(event);
      expect(fresh.registryCalls).toEqual(callsWhenWarm);
      results[type] = { encodeUs: Math.round(best.encodeUs * 10) / 10, decodeUs: Math.round(best.decodeUs * 10) / 10 };
    }
    console.log(`codec cost per message (µs, best of 5 rounds of ${n}): ${JSON.stringify(results)}`);
  });
});
