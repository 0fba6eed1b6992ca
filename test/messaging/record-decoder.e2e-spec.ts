import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTopics, testKafka, uniqueName } from '@paystream/testing';

// The record decoder patch as a service process meets it: installed when libs/messaging loads,
// before kafkajs' first fetch, and records read through it equal what was produced.
describe("the runtime's kafkajs record decoder in a process", () => {
  const topic = uniqueName('record-decoder');
  const produced = Array.from({ length: 50 }, (_, i) => ({
    key: i % 7 === 0 ? null : `k-${i}`,
    value: i % 11 === 0 ? null : `value ${i} ${'x'.repeat(i)}`,
    headers: { type: `t-${i % 3}`, eventId: `e-${i}`, ...(i % 5 === 0 ? { twice: ['a', 'b'] } : {}) },
  }));

  let dropTopic: () => Promise<void>;

  beforeAll(async () => {
    dropTopic = await createTopics([{ name: topic, partitions: 1 }]);
    const producer = testKafka('record-decoder-producer').producer();
    await producer.connect();
    await producer.send({ topic, messages: produced });
    await producer.disconnect();
  });

  afterAll(async () => {
    await dropTopic?.();
  });

  /** Runs the child to its end (its whole output: it exits right after printing). */
  async function read(env: Record<string, string>) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-r', path.join(__dirname, 'ts-register.cjs'), path.join(__dirname, 'record-decoder-child.ts')],
      { env: { ...process.env, TOPIC: topic, RECORDS: String(produced.length), ...env }, timeout: 60_000 },
    );
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
      patched: boolean;
      records: Array<{ offset: string; key: string | null; value: string | null; headers: object; lazy: boolean }>;
    };
  }

  it('decodes every record lazily, to what was produced', async () => {
    const { patched, records } = await read({});
    expect(patched).toBe(true);
    expect(records.every((r) => r.lazy)).toBe(true);
    expect(records.map(({ offset, key, value, headers }) => ({ offset, key, value, headers }))).toEqual(
      produced.map((p, i) => ({ offset: String(i), ...p })),
    );
  });

  it("leaves kafkajs' decoder in place when its batch decoder loaded first", async () => {
    const { patched, records } = await read({ RECORD_DECODER_LATE: '1' });
    expect(patched).toBe(false);
    expect(records.some((r) => r.lazy)).toBe(false);
    expect(records).toHaveLength(produced.length);
  });
});
