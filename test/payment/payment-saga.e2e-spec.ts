import { randomUUID } from 'node:crypto';
import { LedgerPosted, LedgerRefused, PaymentEvent, PaymentTerms, RiskAssessed, dlqTopic } from '@paystream/contracts';
import { SchemaRegistryCodec } from '@paystream/messaging';
import { ContractTopics, TEST_REGISTRY_URL, createContractTopics, testKafka, waitFor } from '@paystream/testing';
import { Admin, Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { PaymentApiHarness, startPaymentApi } from './payment-harness';
import { PaymentEventsProbe, produceEvents } from './payment-events.probe';

/**
 * The saga of the payment service on the real broker, registry and PostgreSQL. Risk and ledger are
 * played by this test: it produces their decisions (risk.assessed, ledger.posted / ledger.refused)
 * on the test's own stand-ins for the contract topics and checks each payment's final status and
 * what the service emitted.
 */
describe('Payment saga (risk decisions and ledger results, exactly once)', () => {
  let topics: ContractTopics;
  let api: PaymentApiHarness;
  let codec: SchemaRegistryCodec;
  let producer: Producer;
  let admin: Admin;
  let probe: PaymentEventsProbe;

  beforeAll(async () => {
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    topics = await createContractTopics('payment-saga');
    const kafka = testKafka('payment-saga-test');
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
    probe = await PaymentEventsProbe.start(codec, topics.paymentEvents);
    api = await startPaymentApi(topics);
    // The service's group starts at the end of the topics (fresh group): produce only once it is in.
    await waitFor(
      'payment consumer group stable',
      async () => {
        const { groups } = await admin.describeGroups([api.group]);
        return groups[0]?.state === 'Stable' && groups[0].members.length > 0;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  });

  // Leaving the group and stopping the consumer takes a few seconds on a loaded machine.
  afterAll(async () => {
    await api?.close();
    await probe?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await topics?.delete();
  }, 30_000);

  async function submit(amount: string): Promise<{ id: string; terms: PaymentTerms; correlationId: string }> {
    const debtorAccountId = `acc-${randomUUID().slice(0, 8)}`;
    const terms = { debtorAccountId, creditorAccountId: 'acc-merchant', amount, currency: 'EUR' };
    const correlationId = `corr-${randomUUID()}`;
    const res = await fetch(api.url('/v1/payments'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        'x-correlation-id': correlationId,
      },
      body: JSON.stringify(terms),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    probe.watch(id);
    return { id, terms, correlationId };
  }

  const envelope = (paymentId: string, correlationId: string, version: number) => ({
    eventId: uuidv7(),
    occurredAt: new Date().toISOString(),
    paymentId,
    correlationId,
    version,
  });

  const riskAssessed = (
    p: { id: string; terms: PaymentTerms; correlationId: string },
    decision: 'APPROVE' | 'REJECT',
  ): RiskAssessed => ({
    ...envelope(p.id, p.correlationId, 1),
    type: 'risk.assessed',
    data: {
      ...p.terms,
      decision,
      score: decision === 'APPROVE' ? 10 : 90,
      reasons: decision === 'APPROVE' ? [] : ['RISK_AMOUNT_LIMIT'],
      ruleVersion: 1,
    },
  });

  const ledgerPosted = (p: { id: string; terms: PaymentTerms; correlationId: string }): LedgerPosted => ({
    ...envelope(p.id, p.correlationId, 2),
    type: 'ledger.posted',
    data: {
      ...p.terms,
      journalEntryId: randomUUID(),
      postings: [
        { accountId: p.terms.debtorAccountId, amount: `-${p.terms.amount}`, currency: 'EUR' },
        { accountId: p.terms.creditorAccountId, amount: p.terms.amount, currency: 'EUR' },
      ],
      postedAt: new Date().toISOString(),
    },
  });

  const ledgerRefused = (p: { id: string; terms: PaymentTerms; correlationId: string }): LedgerRefused => ({
    ...envelope(p.id, p.correlationId, 2),
    type: 'ledger.refused',
    data: { ...p.terms, reason: 'INSUFFICIENT_FUNDS', refusedAt: new Date().toISOString() },
  });

  async function statusOf(id: string): Promise<{ status: string; reason: string | null; statusHistory: unknown[] }> {
    const res = await fetch(api.url(`/v1/payments/${id}`));
    return (await res.json()) as { status: string; reason: string | null; statusHistory: unknown[] };
  }

  const waitForEvents = (id: string, count: number) =>
    waitFor(`${count} events of payment ${id} on payment-events`, () => probe.of(id).length >= count && probe.of(id), {
      timeoutMs: 60_000,
    });

  async function illegalTransitions(): Promise<number> {
    const text = await (await fetch(api.url('/metrics'))).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('payment_illegal_transitions_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  function expectEventsOnce(events: PaymentEvent[], types: PaymentEvent['type'][], correlationId: string) {
    expect(events.map((e) => e.type)).toEqual(types);
    expect(events.map((e) => e.version)).toEqual(types.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    for (const e of events) expect(e.correlationId).toBe(correlationId);
  }

  it('settles an approved payment: PENDING → AUTHORIZED → SETTLED with payment.settled carrying the postings', async () => {
    const p = await submit('125.50');
    await waitForEvents(p.id, 1);
    await produceEvents(producer, codec, topics.riskDecisions, [riskAssessed(p, 'APPROVE')]);
    await waitForEvents(p.id, 2);
    const posted = ledgerPosted(p);
    await produceEvents(producer, codec, topics.ledgerResults, [posted]);
    const events = await waitForEvents(p.id, 3);
    expectEventsOnce(events, ['payment.initiated', 'payment.authorized', 'payment.settled'], p.correlationId);
    expect(events[2].data).toMatchObject({
      journalEntryId: posted.data.journalEntryId,
      postings: posted.data.postings,
    });
    const payment = await statusOf(p.id);
    expect(payment).toMatchObject({
      status: 'SETTLED',
      reason: null,
      statusHistory: [{ status: 'PENDING' }, { status: 'AUTHORIZED' }, { status: 'SETTLED' }],
    });
  });

  it('rejects a payment risk rejects, with the RISK_* reason on the payment and on payment.rejected', async () => {
    const p = await submit('20000.00');
    await waitForEvents(p.id, 1);
    await produceEvents(producer, codec, topics.riskDecisions, [riskAssessed(p, 'REJECT')]);
    const events = await waitForEvents(p.id, 2);
    expectEventsOnce(events, ['payment.initiated', 'payment.rejected'], p.correlationId);
    expect(events[1].data).toMatchObject({ reason: 'RISK_AMOUNT_LIMIT', reasons: ['RISK_AMOUNT_LIMIT'] });
    await waitFor('REJECTED', async () => (await statusOf(p.id)).status === 'REJECTED');
    expect(await statusOf(p.id)).toMatchObject({ status: 'REJECTED', reason: 'RISK_AMOUNT_LIMIT' });
  });

  it('fails a payment the ledger refuses for insufficient funds', async () => {
    const p = await submit('99.99');
    await waitForEvents(p.id, 1);
    await produceEvents(producer, codec, topics.riskDecisions, [riskAssessed(p, 'APPROVE')]);
    await waitForEvents(p.id, 2);
    await produceEvents(producer, codec, topics.ledgerResults, [ledgerRefused(p)]);
    const events = await waitForEvents(p.id, 3);
    expectEventsOnce(events, ['payment.initiated', 'payment.authorized', 'payment.failed'], p.correlationId);
    expect(events[2].data).toMatchObject({ reason: 'INSUFFICIENT_FUNDS' });
    expect(await statusOf(p.id)).toMatchObject({ status: 'FAILED', reason: 'INSUFFICIENT_FUNDS' });
  });

  it('ignores a second decision and a redelivered one: nothing changes, the illegal transition is counted', async () => {
    const p = await submit('10.00');
    await waitForEvents(p.id, 1);
    const approve = riskAssessed(p, 'APPROVE');
    const before = await illegalTransitions();
    // The same event twice (redelivery: deduped by eventId) and a contradicting second decision.
    await produceEvents(producer, codec, topics.riskDecisions, [approve, approve, riskAssessed(p, 'REJECT')]);
    await waitFor('the second decision counted', async () => (await illegalTransitions()) === before + 1, {
      timeoutMs: 60_000,
    });
    // All three share the debtor key, hence one partition: the REJECT being counted means the
    // duplicate before it has been handled too. The emitted events follow their outbox rows.
    await waitForEvents(p.id, 2);
    expectEventsOnce(probe.of(p.id), ['payment.initiated', 'payment.authorized'], p.correlationId);
    expect(await statusOf(p.id)).toMatchObject({ status: 'AUTHORIZED', statusHistory: [{}, {}] });
    const { rows } = await api.sql.query<{ n: string }>(
      'SELECT count(*) AS n FROM payment_status_history WHERE payment_id = $1',
      [p.id],
    );
    expect(Number(rows[0].n)).toBe(2);
  });

  it('sends a decision about an unknown payment to the DLQ and applies the one sent with it', async () => {
    const p = await submit('33.00');
    await waitForEvents(p.id, 1);
    // One key, one send: both land in one chunk, whose flush fails on the unknown payment without
    // naming it; applied one record at a time, the stranger goes to the DLQ and the payment moves.
    const stranger = riskAssessed({ ...p, id: uuidv7() }, 'APPROVE');
    await produceEvents(producer, codec, topics.riskDecisions, [stranger, riskAssessed(p, 'APPROVE')]);
    await waitForEvents(p.id, 2);
    expectEventsOnce(probe.of(p.id), ['payment.initiated', 'payment.authorized'], p.correlationId);
    const dlq = dlqTopic(topics.riskDecisions, api.group);
    await waitFor("the unknown payment's decision on the DLQ", async () => {
      const offsets = await admin.fetchTopicOffsets(dlq);
      return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0) === 1;
    });
  });
});
