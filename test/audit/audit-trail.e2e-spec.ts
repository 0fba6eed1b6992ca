import type { AnyEvent, LedgerPosted, PaymentInitiated, PaymentSettled, RiskAssessed } from '@paystream/contracts';
import {
  createTestDatabase,
  createTopics,
  ServiceProcess,
  startService,
  TestDatabase,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { EventProducer, paymentInitiated, randomPort } from '../risk/risk-kit';

interface Verify {
  valid: boolean;
  events: number;
  firstInvalid?: { sequence: number; eventId: string | null; reason: string };
}

/** The four events of one settled payment, on the three audited topics. */
function lifecycle(debtor: string, n: number): { topic: 'payments' | 'decisions' | 'ledger'; event: AnyEvent }[] {
  const initiated: PaymentInitiated = paymentInitiated(debtor, `${n}.25`, new Date(Date.UTC(2026, 6, 1, 12, 0, n)));
  const terms = initiated.data;
  const base = { paymentId: initiated.paymentId, correlationId: initiated.correlationId };
  const postings = [
    { accountId: debtor, amount: `-${terms.amount}`, currency: 'EUR' },
    { accountId: terms.creditorAccountId, amount: terms.amount, currency: 'EUR' },
  ];
  const terms4 = {
    debtorAccountId: debtor,
    creditorAccountId: terms.creditorAccountId,
    amount: terms.amount,
    currency: 'EUR',
  };
  const assessed: RiskAssessed = {
    ...base,
    eventId: uuidv7(),
    type: 'risk.assessed',
    occurredAt: new Date(Date.UTC(2026, 6, 1, 12, 1, n)).toISOString(),
    version: 1,
    data: { ...terms4, decision: 'APPROVE', score: 0.125, reasons: [], ruleVersion: 1 },
  };
  const posted: LedgerPosted = {
    ...base,
    eventId: uuidv7(),
    type: 'ledger.posted',
    occurredAt: new Date(Date.UTC(2026, 6, 1, 12, 2, n)).toISOString(),
    version: 2,
    data: {
      ...terms4,
      journalEntryId: uuidv7(),
      postings,
      postedAt: new Date(Date.UTC(2026, 6, 1, 12, 1, n)).toISOString(),
    },
  };
  const settled: PaymentSettled = {
    ...base,
    eventId: uuidv7(),
    type: 'payment.settled',
    occurredAt: new Date(Date.UTC(2026, 6, 1, 12, 3, n)).toISOString(),
    version: 3,
    data: { ...terms4, journalEntryId: posted.data.journalEntryId, postings, postedAt: posted.data.postedAt },
  };
  return [
    { topic: 'payments', event: initiated },
    { topic: 'decisions', event: assessed },
    { topic: 'ledger', event: posted },
    { topic: 'payments', event: settled },
  ];
}

// The audit service as a process on its own three topics and database: one chained record per
// event across a kill -9 and redelivered duplicates; a record altered by a superuser is named by verify.
describe('audit service: hash-chained trail end to end', () => {
  const topics = {
    payments: uniqueName('audit_pay'),
    decisions: uniqueName('audit_risk'),
    ledger: uniqueName('audit_ledger'),
  };
  const group = uniqueName('audit_group');
  const run = uniqueName('a');
  let db: TestDatabase;
  let deleteTopics: () => Promise<void>;
  let producer: EventProducer;
  let superuser: Client;
  const processes: ServiceProcess[] = [];

  const start = async () => {
    const audit = startService('audit', randomPort(), {
      DATABASE_URL: db.serverUrl,
      DATABASE_NAME: db.name,
      AUDIT_TOPICS: Object.values(topics).join(','),
      AUDIT_CONSUMER_GROUP: group,
    });
    processes.push(audit);
    await audit.waitReady(90_000);
    return audit;
  };
  const verify = (audit: ServiceProcess) =>
    fetch(audit.url('/v1/audit/verify')).then((r) => r.json() as Promise<Verify>);
  const send = async (items: { topic: keyof typeof topics; event: AnyEvent }[]) => {
    for (const { topic, event } of items) await producer.send(topics[topic], [event]);
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_e2e');
    deleteTopics = await createTopics(Object.values(topics).map((name) => ({ name, partitions: 2 })));
    producer = await EventProducer.connect();
    superuser = new Client({ connectionString: db.url });
  });

  afterAll(async () => {
    for (const p of processes) await p.stop();
    await superuser?.end().catch(() => undefined);
    await producer?.close();
    await deleteTopics?.();
    await db?.drop();
  });

  it('records every event exactly once in one valid chain, across kill -9 and redelivery, and names a tampered record', async () => {
    const first = await start();
    const wave1 = Array.from({ length: 5 }, (_, n) => lifecycle(`${run}-d${n % 2}`, n)).flat();
    const wave2 = Array.from({ length: 5 }, (_, n) => lifecycle(`${run}-d${n % 2}`, 10 + n)).flat();
    await send(wave1);
    await waitFor('part of the first wave recorded', async () => (await verify(first)).events >= 4, {
      timeoutMs: 90_000,
    });
    await first.kill();
    await first.evictFromGroup(group);

    const second = await start();
    // Redelivered copies of the first wave (an outbox relay publishing again) and new events.
    await send([...wave1.slice(0, 6), ...wave2]);
    const total = wave1.length + wave2.length;
    const result = await waitFor(
      'every event recorded',
      async () => {
        const v = await verify(second);
        return v.events >= total && v;
      },
      { timeoutMs: 120_000 },
    );
    expect(result).toEqual({ valid: true, events: total });

    await superuser.connect();
    const perEvent = await superuser.query<{ event_id: string; n: number }>(
      `SELECT event_id, count(*)::int AS n FROM audit_events GROUP BY event_id`,
    );
    expect(perEvent.rows).toHaveLength(total);
    expect(perEvent.rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(new Set(perEvent.rows.map((r) => r.event_id))).toEqual(
      new Set([...wave1, ...wave2].map((i) => i.event.eventId)),
    );
    const sequences = await superuser.query<{ min: string; max: string; n: number }>(
      `SELECT min(sequence), max(sequence), count(DISTINCT sequence)::int AS n FROM audit_events`,
    );
    expect(sequences.rows[0]).toEqual({ min: '1', max: String(total), n: total });

    // A payment's trail through the API: its four events, each of its own topic, in chain order.
    const paymentId = wave2[0].event.paymentId;
    const trail = (await fetch(second.url(`/v1/audit/events?paymentId=${paymentId}`)).then((r) => r.json())) as {
      items: { type: string; topic: string }[];
    };
    expect(trail.items.map((i) => i.type).sort()).toEqual([
      'ledger.posted',
      'payment.initiated',
      'payment.settled',
      'risk.assessed',
    ]);
    expect(trail.items.find((i) => i.type === 'ledger.posted')?.topic).toBe(topics.ledger);

    // The app cannot alter the trail (triggers); a superuser can, by switching them off.
    const target = await superuser.query<{ sequence: string; event_id: string }>(
      `SELECT sequence, event_id FROM audit_events WHERE type = 'ledger.posted' ORDER BY sequence LIMIT 1 OFFSET 2`,
    );
    const { sequence, event_id: eventId } = target.rows[0];
    await superuser.query('BEGIN');
    await superuser.query('SET LOCAL session_replication_role = replica');
    await superuser.query(`UPDATE audit_events SET debtor_account_id = 'acc-someone-else' WHERE sequence = $1`, [
      sequence,
    ]);
    await superuser.query('COMMIT');

    expect(await verify(second)).toEqual({
      valid: false,
      events: Number(sequence),
      firstInvalid: { sequence: Number(sequence), eventId, reason: 'HASH_MISMATCH', detail: expect.any(String) },
    });
  });
});
