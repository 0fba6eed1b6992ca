import { DEFAULT_PARTITIONS, TOPICS, dlqTopic } from '@paystream/contracts';
import { ConfigResourceTypes } from 'kafkajs';
import { contractTopicEnv, createContractTopics } from './contract-topics';
import { createTopics, testKafka } from './kafka';
import { uniqueName } from './wait-for';

describe(createContractTopics.name, () => {
  const admin = testKafka('testing-contract-topics').admin();

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('creates private copies of the contract topics with their partitions and retention', async () => {
    const topics = await createContractTopics('testing-ct');
    try {
      const names = [topics.paymentEvents, topics.riskDecisions, topics.ledgerResults];
      expect(names.every((n) => n.startsWith('testing-ct_'))).toBe(true);
      expect(names).not.toEqual(expect.arrayContaining(Object.values(TOPICS)));
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      expect(meta.map((t) => t.partitions.length)).toEqual([
        DEFAULT_PARTITIONS,
        DEFAULT_PARTITIONS,
        DEFAULT_PARTITIONS,
      ]);
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topics.paymentEvents, configNames: ['retention.ms'] }],
      });
      expect(resources[0].configEntries).toEqual([
        expect.objectContaining({ configName: 'retention.ms', configValue: '-1' }),
      ]);
      expect(contractTopicEnv(topics)).toMatchObject({
        PAYMENT_EVENTS_TOPIC: topics.paymentEvents,
        RISK_OUTPUT_TOPIC: topics.riskDecisions,
        LEDGER_RESULTS_TOPIC: topics.ledgerResults,
        AUDIT_TOPICS: names.join(','),
      });
    } finally {
      await topics.delete();
    }
  });

  it('deletes its topics and the DLQ topics derived from them, and no other topic', async () => {
    const topics = await createContractTopics('testing-ct');
    const dlqs = [dlqTopic(topics.riskDecisions, uniqueName('g')), dlqTopic(topics.paymentEvents, uniqueName('g'))];
    // A topic whose name only starts like one of the set's is not the set's.
    const other = uniqueName(`${topics.ledgerResults}-other`);
    const deleteOthers = await createTopics([...dlqs, other].map((name) => ({ name })));
    try {
      await topics.delete();
      const left = new Set(await admin.listTopics());
      expect(
        [topics.paymentEvents, topics.riskDecisions, topics.ledgerResults, ...dlqs].filter((t) => left.has(t)),
      ).toEqual([]);
      expect(left.has(other)).toBe(true);
    } finally {
      await deleteOthers();
    }
  });
});
