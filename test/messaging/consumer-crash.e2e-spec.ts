import { AnyEvent, dlqTopic } from '@paystream/contracts';
import { SchemaRegistryCodec } from '@paystream/messaging';
import {
  TEST_REGISTRY_URL,
  TestDatabase,
  createTopics,
  evictDeadMembers,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { DataSource } from 'typeorm';
import { Child, runChild } from './child-process';
import { createMigratedDatabase, deleteTopics, effectCounts, holdsFor, paymentInitiated } from './messaging-fixtures';

// kill -9 of consumer processes at random points of a chunk: before the PostgreSQL commit,
// between it and the Kafka commit (hooks in the child), and at an arbitrary instant (the
// parent's SIGKILL). Each restart joins the same group; every event must end up applied once.

type KillKind = 'external' | 'beforePgCommit' | 'afterPgCommit';
const KINDS: KillKind[] = ['external', 'beforePgCommit', 'afterPgCommit'];

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

async function produce(codec: SchemaRegistryCodec, topic: string, count: number): Promise<AnyEvent[]> {
  const events = Array.from({ length: count }, (_, i) => paymentInitiated(`acct-${i % 24}`, i));
  const producer = testKafka('crash-producer').producer({ idempotent: true });
  await producer.connect();
  for (let i = 0; i < events.length; i += 500) {
    await producer.send({
      topic,
      acks: -1,
      messages: await Promise.all(
        events
          .slice(i, i + 500)
          .map(async (e) => ({ key: e.data.debtorAccountId, value: await codec.encode(topic, e) })),
      ),
    });
  }
  await producer.disconnect();
  return events;
}

/** Starts a child, kills it the given way, and returns how it ended (must be SIGKILL). */
async function crashRound(env: Record<string, string>, kind: KillKind): Promise<number | string> {
  const chunk = randomInt(1, 4);
  const child: Child = runChild('consumer-child.ts', {
    ...env,
    KILL_AT: kind === 'external' ? '' : `${kind}:${chunk}`,
  });
  try {
    if (kind === 'external') {
      await child.line(new RegExp(`^chunk ${chunk}$`));
      // Somewhere inside the next chunk (handlers, flush, commit or the offset hint).
      await new Promise((r) => setTimeout(r, randomInt(0, 40)));
      return await child.kill9();
    }
    return await Promise.race([
      child.exited,
      waitFor('the child to kill itself', () => false, { timeoutMs: 60_000 }).then(() => 'timeout'),
    ]);
  } finally {
    await child.kill9();
    // The next round's process joins at once instead of waiting out the dead one's session.
    const clientId = `crash-child-${child.process.pid}-`;
    await evictDeadMembers(env.GROUP, (m) => m.clientId.startsWith(clientId));
  }
}

describe('exactly-once consumer processes killed with SIGKILL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let codec: SchemaRegistryCodec;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    ({ db, dataSource } = await createMigratedDatabase('eo_crash'));
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
  }, 60_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await dataSource?.destroy();
    await db?.drop();
  }, 120_000);

  it('applies every event exactly once, none missing, over 20 rounds of kill -9 at random points mid-batch', async () => {
    const topic = uniqueName('eo_crash');
    const group = uniqueName('eo_crash_group');
    cleanups.push(await createTopics([{ name: topic, partitions: 3 }]));
    cleanups.push(() => deleteTopics([dlqTopic(topic, group)]));
    // Enough that 20 rounds never run out: a round applies up to ~150 (one run reached 1,489 of
    // 1,500 by round 19, and a child with nothing left to read never reaches its kill point).
    const events = await produce(codec, topic, 3000);
    const env = { DATABASE: db.name, GROUP: group, TOPIC: topic, MAX_BATCH: '25', HANDLER_DELAY_MS: '1' };

    let previous = 0;
    for (let round = 0; round < 20; round++) {
      const kind = KINDS[round % KINDS.length];
      expect(await crashRound(env, kind)).toBe('SIGKILL');
      const counts = await effectCounts(dataSource, group);
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      expect(counts.size).toBeGreaterThanOrEqual(previous);
      previous = counts.size;
    }
    expect(previous).toBeLessThan(events.length);

    const survivor = runChild('consumer-child.ts', env);
    cleanups.push(() => survivor.stop().then(() => undefined));
    await waitFor('every event applied', async () => (await effectCounts(dataSource, group)).size === events.length, {
      timeoutMs: 120_000,
    });
    expect(await survivor.stop()).toBe(0);
    const counts = await effectCounts(dataSource, group);
    expect(events.map((e) => counts.get(e.eventId))).toEqual(events.map(() => 1));
    const [{ total }] = await dataSource.query<Array<{ total: number }>>(
      `SELECT sum(next_offset)::int AS total FROM messaging_consumer_offsets WHERE group_id = $1`,
      [group],
    );
    expect(total).toBe(events.length);
  }, 900_000);

  it('kafka-transaction mode: a read_committed reader sees every output exactly once although processes die between the commits', async () => {
    const topic = uniqueName('eo_crash_tx');
    const output = uniqueName('eo_crash_tx_out');
    const group = uniqueName('eo_crash_tx_group');
    cleanups.push(
      await createTopics([
        { name: topic, partitions: 2 },
        { name: output, partitions: 2 },
      ]),
    );
    cleanups.push(() => deleteTopics([dlqTopic(topic, group)]));
    const events = await produce(codec, topic, 400);
    const env = {
      DATABASE: db.name,
      GROUP: group,
      TOPIC: topic,
      OUTPUT_TOPIC: output,
      MODE: 'kafka-transaction',
      MAX_BATCH: '20',
      HANDLER_DELAY_MS: '1',
    };
    const kinds: KillKind[] = [
      'afterPgCommit',
      'external',
      'afterPgCommit',
      'beforePgCommit',
      'afterPgCommit',
      'external',
    ];
    for (const kind of kinds) expect(await crashRound(env, kind)).toBe('SIGKILL');

    const survivor = runChild('consumer-child.ts', env);
    cleanups.push(() => survivor.stop().then(() => undefined));
    await waitFor('every event applied', async () => (await effectCounts(dataSource, group)).size === events.length, {
      timeoutMs: 120_000,
    });

    const seen = new Map<string, number>();
    const reader = testKafka('crash-tx-reader').consumer({
      groupId: uniqueName('crash-tx-reader'),
      readUncommitted: false,
    });
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const event = await codec.decode(output, message.value!);
        seen.set(event.paymentId, (seen.get(event.paymentId) ?? 0) + 1);
      },
    });
    try {
      await waitFor('an output per event', () => seen.size === events.length, { timeoutMs: 90_000 });
      await holdsFor('no output twice', () => Promise.resolve([...seen.values()].every((n) => n === 1)), 2000);
    } finally {
      await reader.disconnect();
    }
    expect(await survivor.stop()).toBe(0);
    expect(events.map((e) => seen.get(e.paymentId))).toEqual(events.map(() => 1));
    const counts = await effectCounts(dataSource, group);
    expect(events.map((e) => counts.get(e.eventId))).toEqual(events.map(() => 1));
  }, 600_000);
});
