import { DEFAULT_PARTITIONS, TOPICS, TOPIC_SPECS } from '@paystream/contracts';
import { Admin } from 'kafkajs';
import { TEST_BROKERS, testKafka } from './kafka';
import { uniqueName, waitFor } from './wait-for';

type ContractTopicKey = keyof typeof TOPICS;

/**
 * A test's own stand-ins for the three contract topics, created like the stack creates the real
 * ones (partition count and config of libs/contracts/src/topics.json), so that keys spread over
 * partitions the same way. The broker is shared with `npm start`, `npm run bench` and other
 * suites: a test on the contract topics would read their events and they would read the test's.
 */
export type ContractTopics = Record<ContractTopicKey, string> & {
  /**
   * Deletes the three topics and every dead-letter topic `<topic>.<group>.dlq` derived from them
   * (the consumer runtime creates those at start-up, whatever the test's group names are).
   */
  delete(): Promise<void>;
};

/** Creates `<prefix>_<contract topic>_<random>` for each contract topic. */
export async function createContractTopics(prefix: string, brokers = TEST_BROKERS): Promise<ContractTopics> {
  const keys = Object.keys(TOPICS) as ContractTopicKey[];
  const names = Object.fromEntries(keys.map((k) => [k, uniqueName(`${prefix}_${TOPICS[k]}`)])) as Record<
    ContractTopicKey,
    string
  >;
  const own = Object.values(names);
  const admin = testKafka('paystream-test-admin', brokers).admin();
  await admin.connect();
  const remove = async () => {
    try {
      // The names are unique to this test, so anything named `<one of them>.<group>.dlq` is its own.
      const existing = (await admin.listTopics()).filter(
        (t) => own.includes(t) || (t.endsWith('.dlq') && own.some((name) => t.startsWith(`${name}.`))),
      );
      if (existing.length > 0) await admin.deleteTopics({ topics: existing });
    } finally {
      await admin.disconnect();
    }
  };
  try {
    await admin.createTopics({
      // kafkajs' waitForLeaders fails at once on the UNKNOWN_TOPIC_OR_PARTITION answer that a
      // broker busy creating other topics (suites running side by side) gives: waited for below.
      waitForLeaders: false,
      topics: keys.map((k) => ({
        topic: names[k],
        numPartitions: DEFAULT_PARTITIONS,
        replicationFactor: 1,
        configEntries: Object.entries(TOPIC_SPECS.find((s) => s.name === TOPICS[k])?.config ?? {}).map(
          ([name, value]) => ({ name, value }),
        ),
      })),
    });
    await untilServed(admin, own);
  } catch (err) {
    await remove();
    throw err;
  }
  return { ...names, delete: remove };
}

/**
 * Waits until every partition of `topics` answers a ListOffsets request. Right after CreateTopics
 * the broker can still answer NOT_LEADER_OR_FOLLOWER for a moment, and a test's first request
 * (reading the end offsets its groups start from) would fail on it.
 */
async function untilServed(admin: Admin, topics: string[]): Promise<void> {
  await waitFor(
    `partition leaders of ${topics.join(', ')}`,
    async () => {
      await admin.fetchTopicMetadata({ topics });
      await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

/**
 * The environment that points every service at these topics: each app reads only its own
 * variables (defaults: the contract topics), so one map serves all six.
 */
export function contractTopicEnv(topics: ContractTopics): Record<string, string> {
  const { paymentEvents, riskDecisions, ledgerResults } = topics;
  return {
    PAYMENT_EVENTS_TOPIC: paymentEvents,
    PAYMENT_RISK_DECISIONS_TOPIC: riskDecisions,
    PAYMENT_LEDGER_RESULTS_TOPIC: ledgerResults,
    LEDGER_PAYMENT_EVENTS_TOPIC: paymentEvents,
    LEDGER_RESULTS_TOPIC: ledgerResults,
    AUDIT_TOPICS: [paymentEvents, riskDecisions, ledgerResults].join(','),
    RISK_INPUT_TOPIC: paymentEvents,
    RISK_OUTPUT_TOPIC: riskDecisions,
    NOTIFICATIONS_TOPIC: paymentEvents,
    ANALYTICS_TOPIC: paymentEvents,
  };
}
