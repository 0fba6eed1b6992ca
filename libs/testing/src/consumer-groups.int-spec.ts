import { spawn } from 'node:child_process';
import { commitGroupOffsets, evictDeadMembers, groupMembers } from './consumer-groups';
import { TEST_BROKERS, createTopics, testKafka } from './kafka';
import { uniqueName, waitFor } from './wait-for';

// A plain kafkajs consumer in a process of its own, with the default 30 s session, that prints
// `joined` once it is a member of the group.
const MEMBER = `
const { Kafka, logLevel } = require('kafkajs');
const [brokers, clientId, groupId, topic] = process.argv.slice(1);
const consumer = new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING })
  .consumer({ groupId, sessionTimeout: 30000 });
consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('joined\\n'));
consumer.connect()
  .then(() => consumer.subscribe({ topic, fromBeginning: true }))
  .then(() => consumer.run({ eachMessage: async () => undefined }));
`;

describe('consumer group helpers', () => {
  const topic = uniqueName('testing_groups');
  let deleteTopics: () => Promise<void>;

  beforeAll(async () => {
    deleteTopics = await createTopics([{ name: topic, partitions: 2 }]);
  });

  afterAll(async () => {
    await deleteTopics?.();
  });

  it('evictDeadMembers removes the member of a SIGKILLed process at once, and only that one', async () => {
    const group = uniqueName('testing_groups_evict');
    const clientId = uniqueName('doomed');
    const child = spawn(process.execPath, ['-e', MEMBER, TEST_BROKERS.join(','), clientId, group, topic], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('joined') && resolve());
        void exited.then(() => reject(new Error('the member process exited before it joined')));
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      // Without eviction the coordinator lists the dead member for its whole 30 s session.
      expect((await groupMembers(group)).map((m) => m.clientId)).toEqual([clientId]);
      expect(await evictDeadMembers(group, (m) => m.clientId === 'someone-else')).toBe(0);
      expect(await groupMembers(group)).toHaveLength(1);

      expect(await evictDeadMembers(group, (m) => m.clientId === clientId)).toBe(1);
      expect(await groupMembers(group)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('commitGroupOffsets sets where a new group starts, and refuses a group with members', async () => {
    const group = uniqueName('testing_groups_offsets');
    const partitions = [
      { partition: 0, offset: '0' },
      { partition: 1, offset: '0' },
    ];
    const producer = testKafka('testing-groups-producer').producer();
    await producer.connect();
    await producer.send({ topic, messages: [0, 0, 1].map((p, i) => ({ partition: p, value: `m${i}` })) });
    await producer.disconnect();
    partitions[0].offset = '2';
    partitions[1].offset = '1';

    await commitGroupOffsets(group, [{ topic, partitions }]);
    const admin = testKafka('testing-groups-admin').admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const read = committed.partitions.map(({ partition, offset }) => ({ partition, offset }));
      expect(read.sort((a, b) => a.partition - b.partition)).toEqual(partitions);
    } finally {
      await admin.disconnect();
    }

    const member = testKafka('testing-groups-member').consumer({ groupId: group });
    await member.connect();
    try {
      await member.subscribe({ topic });
      await member.run({ eachMessage: () => Promise.resolve() });
      await waitFor('the member to join', async () => (await groupMembers(group)).length === 1);
      await expect(commitGroupOffsets(group, [{ topic, partitions }])).rejects.toThrow(/has members/);
    } finally {
      await member.disconnect();
    }
  }, 60_000);
});
