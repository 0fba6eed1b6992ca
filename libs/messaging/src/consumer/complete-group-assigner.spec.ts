import { AssignerProtocol } from 'kafkajs';
import { completeGroupAssigner } from './complete-group-assigner';

describe('complete group assigner', () => {
  const cluster = {
    findTopicPartitionMetadata: (topic: string) =>
      (topic === 'a' ? [3, 0, 2, 1] : [1, 0]).map((partitionId) => ({ partitionId })),
  };
  const assigner = (size: number) => completeGroupAssigner(size)({ cluster } as never);
  const members = (...ids: string[]) => ids.map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) }));

  async function assign(size: number, ids: string[], topics = ['a', 'b']) {
    const result = await assigner(size).assign({ members: members(...ids), topics });
    return Object.fromEntries(
      result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]),
    );
  }

  it('assigns nothing until the group has all its members', async () => {
    expect(await assign(2, ['m1'])).toEqual({ m1: {} });
  });

  it('deals the partitions of each topic in turn over the members sorted by id', async () => {
    expect(await assign(2, ['m2', 'm1'])).toEqual({
      m1: { a: [0, 2], b: [0] },
      m2: { a: [1, 3], b: [1] },
    });
  });

  it('gives every partition to a group of one, and leaves extra members without', async () => {
    expect(await assign(1, ['m1'])).toEqual({ m1: { a: [0, 1, 2, 3], b: [0, 1] } });
    expect(await assign(2, ['m1', 'm2', 'm3'], ['b'])).toEqual({ m1: { b: [0] }, m2: { b: [1] }, m3: {} });
  });

  it('names its protocol after the group size, so members of another size cannot join it', () => {
    expect(assigner(2).name).toBe('CompleteGroupOf2');
    expect(assigner(2).protocol({ topics: ['a'] }).name).toBe('CompleteGroupOf2');
    expect(() => completeGroupAssigner(0)).toThrow(/at least 1/);
  });
});
