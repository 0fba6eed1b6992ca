import { AssignerProtocol, PartitionAssigner } from 'kafkajs';

/**
 * A partition assigner for a group whose size is known in advance (the members of one replay,
 * started together). It assigns nothing until `size` members have joined, then deals the
 * partitions of each topic out in turn over the members sorted by id. With kafkajs' round robin
 * the first member to join takes every partition and starts reading at once, and the next join
 * moves half of them away again in the middle of the replay.
 */
export function completeGroupAssigner(size: number): PartitionAssigner {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`a group size must be a whole number of at least 1, got ${size}`);
  const name = `CompleteGroupOf${size}`;
  return ({ cluster }) => ({
    name,
    version: 0,
    assign({ members, topics }) {
      const ids = members.map((m) => m.memberId).sort();
      const assignment = new Map<string, Record<string, number[]>>(ids.map((id) => [id, {}]));
      if (ids.length >= size) {
        let turn = 0;
        for (const topic of topics) {
          const partitions = cluster
            .findTopicPartitionMetadata(topic)
            .map((m) => m.partitionId)
            .sort((a, b) => a - b);
          for (const partition of partitions) {
            const mine = assignment.get(ids[turn++ % ids.length])!;
            (mine[topic] ??= []).push(partition);
          }
        }
      }
      return Promise.resolve(
        ids.map((memberId) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: assignment.get(memberId)!,
            userData: Buffer.alloc(0),
          }),
        })),
      );
    },
    protocol({ topics }) {
      return {
        name,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}
