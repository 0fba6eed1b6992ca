import { Kafka } from 'kafkajs';
import { TEST_BROKERS, testKafka } from './kafka';

export interface GroupMember {
  memberId: string;
  clientId: string;
}

/** The few kafkajs internals this file uses: the cluster behind a client and a broker's LeaveGroup. */
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<{
    leaveGroup(args: { groupId: string; memberId: string }): Promise<unknown>;
  }>;
}

function clusterOf(kafka: Kafka): InternalCluster {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = key && (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof create !== 'function') throw new Error('kafkajs internals changed: no createCluster on the client');
  return (create as (options: object) => InternalCluster)({});
}

/** The current members of a consumer group. */
export async function groupMembers(groupId: string, brokers = TEST_BROKERS): Promise<GroupMember[]> {
  const admin = testKafka('paystream-test-members', brokers).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return (groups[0]?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId }));
  } finally {
    await admin.disconnect();
  }
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
  const cluster = clusterOf(testKafka('paystream-test-evict', brokers));
  await cluster.connect();
  try {
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    for (const { memberId } of dead) {
      // UNKNOWN_MEMBER_ID: its session ran out meanwhile; gone either way.
      await coordinator.leaveGroup({ groupId, memberId }).catch((err: Error) => {
        if (!/UNKNOWN_MEMBER_ID|unknown member/i.test(`${err.name} ${err.message}`)) throw err;
      });
    }
  } finally {
    await cluster.disconnect();
  }
  return dead.length;
}
