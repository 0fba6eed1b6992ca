import { Kafka } from 'kafkajs';
import { TEST_BROKERS, testKafka } from './kafka';

export interface GroupMember {
  memberId: string;
  clientId: string;
}

export interface GroupOffsets {
  topic: string;
  partitions: Array<{ partition: number; offset: string }>;
}

/**
 * The few kafkajs internals this file uses: the cluster behind a client, and two requests of its
 * group coordinator that kafkajs' admin client has no call for.
 */
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<{
    leaveGroup(args: { groupId: string; memberId: string }): Promise<unknown>;
    offsetCommit(args: {
      groupId: string;
      groupGenerationId: number;
      memberId: string;
      topics: GroupOffsets[];
    }): Promise<{ responses: Array<{ partitions: Array<{ partition: number; errorCode: number }> }> }>;
  }>;
}

function clusterOf(kafka: Kafka): InternalCluster {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = key && (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof create !== 'function') throw new Error('kafkajs internals changed: no createCluster on the client');
  return (create as (options: object) => InternalCluster)({});
}

async function withCoordinator<T>(
  groupId: string,
  brokers: string[],
  fn: (coordinator: Awaited<ReturnType<InternalCluster['findGroupCoordinator']>>) => Promise<T>,
): Promise<T> {
  const cluster = clusterOf(testKafka('paystream-test-groups', brokers));
  await cluster.connect();
  try {
    return await fn(await cluster.findGroupCoordinator({ groupId }));
  } finally {
    await cluster.disconnect();
  }
}

async function describeGroup(groupId: string, brokers: string[]) {
  const admin = testKafka('paystream-test-members', brokers).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0];
  } finally {
    await admin.disconnect();
  }
}

/** The current members of a consumer group. */
export async function groupMembers(groupId: string, brokers = TEST_BROKERS): Promise<GroupMember[]> {
  const group = await describeGroup(groupId, brokers);
  return (group?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId }));
}

/**
 * Commits offsets for a group that has no members yet (or none any more), in one request, as
 * Kafka's `AdminClient.alterConsumerGroupOffsets` does: a commit outside any generation. kafkajs'
 * `admin.setOffsets` gets there by joining the group with a consumer and waiting for a fetch,
 * about 5 s per topic. Refuses a group with members, like setOffsets.
 */
export async function commitGroupOffsets(
  groupId: string,
  topics: GroupOffsets[],
  brokers = TEST_BROKERS,
): Promise<void> {
  const group = await describeGroup(groupId, brokers);
  if (group && group.members.length > 0) {
    throw new Error(`group ${groupId} has members (${group.state}); offsets are committed before any joins`);
  }
  const { responses } = await withCoordinator(groupId, brokers, (coordinator) =>
    coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics }),
  );
  const failed = responses.flatMap((r) => r.partitions).filter((p) => p.errorCode !== 0);
  if (failed.length) throw new Error(`offset commit for ${groupId} failed: ${JSON.stringify(failed)}`);
}

/**
 * Takes the members of a consumer group whose processes the test killed with SIGKILL out of the
 * group at once, with the LeaveGroup request a member sends when it closes (what Kafka's own
 * `AdminClient.removeMembersFromConsumerGroup` does). Without it the coordinator keeps a dead
 * member until its session times out (at least group.min.session.timeout.ms, 6 s by default, 30 s
 * for the apps' defaults), and the replacement's join waits for that: a pure wait in every kill
 * round of a crash test. Nothing else changes: the coordinator removes the member either way
 * before it hands the partitions on, and the dead process can no longer commit anything.
 *
 * Only for members of processes that are known dead (`kill()` resolved): removing a live one
 * would just make it rejoin. `isDead` picks them, by their client id. Returns how many it removed.
 */
export async function evictDeadMembers(
  groupId: string,
  isDead: (member: GroupMember) => boolean,
  brokers = TEST_BROKERS,
): Promise<number> {
  const dead = (await groupMembers(groupId, brokers)).filter(isDead);
  if (dead.length === 0) return 0;
  await withCoordinator(groupId, brokers, async (coordinator) => {
    for (const { memberId } of dead) {
      // UNKNOWN_MEMBER_ID: its session ran out meanwhile; gone either way.
      await coordinator.leaveGroup({ groupId, memberId }).catch((err: Error) => {
        if (!/UNKNOWN_MEMBER_ID|unknown member/i.test(`${err.name} ${err.message}`)) throw err;
      });
    }
  });
  return dead.length;
}
