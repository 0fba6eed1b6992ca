import { randomUUID } from 'node:crypto';
import { PaymentTerms, RiskAssessed, LedgerPosted, LedgerRefused } from '@paystream/contracts';
import { SchemaRegistryCodec } from '@paystream/messaging';
import { ContractTopics, TEST_REGISTRY_URL, createContractTopics, testKafka, waitFor } from '@paystream/testing';
import { Admin, Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { PaymentApiHarness, freePort, startPaymentApi } from './payment-harness';
import { PaymentEventsProbe, produceEvents } from './payment-events.probe';

const PAYMENTS = 12;

/**
 * Kafka unreachable (the service pointed at a closed port) while payments are submitted: the API
 * accepts every one of them (the outbox holds the events). Restarted against the real broker, the
 * relay publishes each payment.initiated exactly once and the saga takes every payment to a final
 * status.
 */
describe('Payment API while Kafka is down', () => {
  let codec: SchemaRegistryCodec;
  let topics: ContractTopics;
  let producer: Producer;
  let admin: Admin;
  let probe: PaymentEventsProbe | undefined;
  let down: PaymentApiHarness | undefined;
  let up: PaymentApiHarness | undefined;

  beforeAll(async () => {
    codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
    topics = await createContractTopics('payment-kafka-down');
    const kafka = testKafka('payment-kafka-down-test');
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
  });

  let downClosed = false;

  afterAll(async () => {
    if (down && !downClosed) await down.close({ keepDatabase: true });
    if (up) await up.close();
    else await down?.db.drop();
    await probe?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await topics?.delete();
  });

  it('accepts payments with Kafka unreachable and publishes each payment.initiated exactly once when it is back', async () => {
    // An API-only instance (the saga consumer cannot join a group without a broker).
    down = await startPaymentApi(topics, {
      KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
      PAYMENT_SAGA_ENABLED: 'false',
    });
    const submitted: { id: string; terms: PaymentTerms; correlationId: string }[] = [];
    for (let i = 0; i < PAYMENTS; i++) {
      const terms = {
        debtorAccountId: `acc-${randomUUID().slice(0, 8)}`,
        creditorAccountId: 'acc-merchant',
        amount: `${i + 1}.25`,
        currency: 'EUR',
      };
      const correlationId = `corr-${randomUUID()}`;
      const res = await fetch(down.url('/v1/payments'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
          'x-correlation-id': correlationId,
        },
        body: JSON.stringify(terms),
      });
      expect(res.status).toBe(201);
      submitted.push({ id: ((await res.json()) as { id: string }).id, terms, correlationId });
    }
    const ready = await fetch(down.url('/health/ready'));
    expect(ready.status).toBe(503);
    const pending = await down.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NULL AND type = 'payment.initiated'`,
    );
    expect(Number(pending.rows[0].n)).toBe(PAYMENTS);
    const { db, group } = down;
    await down.close({ keepDatabase: true });
    downClosed = true;

    probe = await PaymentEventsProbe.start(codec, topics.paymentEvents);
    for (const p of submitted) probe.watch(p.id);
    up = await startPaymentApi(topics, {}, { db, group });
    const api = up;
    await waitFor(
      'every payment.initiated published after the restart',
      () => submitted.every((p) => probe!.of(p.id).length >= 1),
      { timeoutMs: 90_000 },
    );
    await waitFor(
      'payment consumer group stable',
      async () => {
        const { groups } = await admin.describeGroups([group]);
        return groups[0]?.state === 'Stable' && groups[0].members.length > 0;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );

    // Take every payment to a final status: approve all; the ledger posts even ones, refuses odd ones.
    const envelope = (p: (typeof submitted)[number], version: number) => ({
      eventId: uuidv7(),
      occurredAt: new Date().toISOString(),
      paymentId: p.id,
      correlationId: p.correlationId,
      version,
    });
    await produceEvents(
      producer,
      codec,
      topics.riskDecisions,
      submitted.map((p): RiskAssessed => ({
        ...envelope(p, 1),
        type: 'risk.assessed',
        data: { ...p.terms, decision: 'APPROVE', score: 5, reasons: [], ruleVersion: 1 },
      })),
    );
    await waitFor('every payment authorized', () => submitted.every((p) => probe!.of(p.id).length >= 2), {
      timeoutMs: 60_000,
    });
    await produceEvents(
      producer,
      codec,
      topics.ledgerResults,
      submitted.map((p, i): LedgerPosted | LedgerRefused =>
        i % 2 === 0
          ? {
              ...envelope(p, 2),
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
            }
          : {
              ...envelope(p, 2),
              type: 'ledger.refused',
              data: { ...p.terms, reason: 'INSUFFICIENT_FUNDS', refusedAt: new Date().toISOString() },
            },
      ),
    );
    await waitFor('every payment final', () => submitted.every((p) => probe!.of(p.id).length >= 3), {
      timeoutMs: 60_000,
    });

    // Per payment, in partition order: initiated once, then authorized, then the final event; a
    // duplicate initiated from the relay would have been published before the later events.
    for (const [i, p] of submitted.entries()) {
      const events = probe.of(p.id);
      expect(events.map((e) => e.type)).toEqual([
        'payment.initiated',
        'payment.authorized',
        i % 2 === 0 ? 'payment.settled' : 'payment.failed',
      ]);
      expect(events[0].correlationId).toBe(p.correlationId);
      const res = await fetch(api.url(`/v1/payments/${p.id}`));
      expect(await res.json()).toMatchObject({ status: i % 2 === 0 ? 'SETTLED' : 'FAILED' });
    }
    const sent = await api.sql.query<{ n: string }>(`SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NULL`);
    expect(Number(sent.rows[0].n)).toBe(0);
    // Two service starts, a group join and three saga steps: far more than jest's default 5 s.
  }, 120_000);
});
