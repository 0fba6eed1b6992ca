import type { PaymentInitiated, RiskAssessed } from '@paystream/contracts';
import {
  createTestDatabase,
  createTopics,
  ServiceProcess,
  startService,
  TestDatabase,
  testKafka,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { CommittedReader, EventProducer, paymentInitiated, randomPort } from './risk-kit';

const DEBTORS = 6;
const PER_DEBTOR = 40;
const MAX_COUNT = 10;
const PARTITIONS = 3;

// kill -9 of the risk process while payments stream in. Transactions of 5 events make the kill
// land between many commits. A read_committed reader must then see exactly one decision per
// payment, and the velocity state must be exact: every debtor has exactly MAX_COUNT approvals,
// its first MAX_COUNT payments (one event counted twice would approve fewer; one lost, more).
describe('risk service: kill -9 mid-stream', () => {
  const input = uniqueName('risk_crash_in');
  const output = uniqueName('risk_crash_out');
  const group = uniqueName('risk_crash_group');
  const run = uniqueName('c');
  const T0 = Date.parse('2026-06-01T09:00:00.000Z');
  let db: TestDatabase;
  let deleteTopics: () => Promise<void>;
  let producer: EventProducer;
  let reader: CommittedReader;
  let pg: Client;
  const processes: ServiceProcess[] = [];

  const start = async () => {
    const risk = startService('risk', randomPort(), {
      DATABASE_URL: db.serverUrl,
      DATABASE_NAME: db.name,
      RISK_INPUT_TOPIC: input,
      RISK_OUTPUT_TOPIC: output,
      RISK_CONSUMER_GROUP: group,
      RISK_MAX_BATCH_SIZE: '5',
    });
    processes.push(risk);
    await risk.waitReady(90_000);
    return risk;
  };

  beforeAll(async () => {
    db = await createTestDatabase('risk_crash');
    deleteTopics = await createTopics([
      { name: input, partitions: PARTITIONS },
      { name: output, partitions: PARTITIONS },
    ]);
    producer = await EventProducer.connect();
    reader = await CommittedReader.start(output, producer.codec);
    pg = new Client({ connectionString: db.url });
  });

  afterAll(async () => {
    for (const p of processes) await p.stop();
    await pg?.end().catch(() => undefined);
    await reader?.close();
    await producer?.close();
    await deleteTopics?.();
    await db?.drop();
  });

  it('gives every payment exactly one committed decision and keeps velocity counts exact across the crash', async () => {
    const first = await start();
    const rules = (await fetch(first.url('/v1/risk/rules')).then((r) => r.json())) as { rules: { velocity: object } };
    const put = await fetch(first.url('/v1/risk/rules'), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...rules.rules,
        velocity: { windowSeconds: 3600, maxCount: MAX_COUNT, maxAmount: '1000000.00' },
      }),
    });
    expect(put.status).toBe(200);

    // Payment i of each debtor occurs at T0 + i s; waves of one payment per debtor.
    const debtors = Array.from({ length: DEBTORS }, (_, d) => `${run}-d${d}`);
    const byDebtor = new Map<string, PaymentInitiated[]>(debtors.map((d) => [d, []]));
    const waves: PaymentInitiated[][] = [];
    for (let i = 0; i < PER_DEBTOR; i++) {
      const wave = debtors.map((d) => paymentInitiated(d, '1.00', new Date(T0 + i * 1000)));
      wave.forEach((p) => byDebtor.get(p.data.debtorAccountId)!.push(p));
      waves.push(wave);
    }
    const total = DEBTORS * PER_DEBTOR;

    let sent = 0;
    const producing = (async () => {
      for (const wave of waves) {
        await producer.send(input, wave);
        sent += wave.length;
        // Paced so that the kill below lands while events are still arriving.
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await waitFor('a third of the decisions before the kill', () => reader.byPayment().size >= total / 3, {
      timeoutMs: 90_000,
      intervalMs: 20,
    });
    const seenAtKill = reader.byPayment().size;
    const sentAtKill = sent;
    expect(await first.kill()).toBe('SIGKILL');
    await first.evictFromGroup(group);
    expect(seenAtKill).toBeLessThan(total);

    const second = await start();
    await producing;
    await waitFor(`${total} decisions`, () => reader.byPayment().size >= total, {
      timeoutMs: 150_000,
      intervalMs: 200,
    });
    // A clean stop closes every transaction; then a plain record after the last decision in each
    // partition tells when the reader has seen everything (a late duplicate included).
    await second.stop();
    await sendSentinels();
    await waitFor('the reader to reach every sentinel', () => sentinelsSeen() === PARTITIONS, { timeoutMs: 60_000 });

    const decisions = [...reader.byPayment()].filter(([id]) => !id.startsWith('sentinel-'));
    const counts = decisions.map(([, list]) => list.length);
    expect(decisions).toHaveLength(total);
    expect(counts.filter((c) => c !== 1)).toEqual([]);
    // The decision events themselves are unique too (no re-decision under a new eventId).
    expect(new Set(decisions.map(([, [e]]) => e.eventId)).size).toBe(total);

    for (const [debtor, payments] of byDebtor) {
      const outcome = payments.map((p) => reader.byPayment().get(p.paymentId)![0].data.decision);
      expect({ debtor, outcome }).toEqual({
        debtor,
        outcome: [...Array(MAX_COUNT).fill('APPROVE'), ...Array(PER_DEBTOR - MAX_COUNT).fill('REJECT')],
      });
      for (const p of payments.slice(MAX_COUNT)) {
        expect(reader.byPayment().get(p.paymentId)![0].data.reasons).toEqual(['RISK_VELOCITY_COUNT']);
      }
    }

    await pg.connect();
    const stored = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM risk_decisions`);
    expect(stored.rows[0].n).toBe(total);
    const activity = await pg.query<{ account_id: string; approved_payments: string }>(
      `SELECT account_id, approved_payments FROM risk_account_activity ORDER BY account_id`,
    );
    expect(activity.rows).toEqual(debtors.sort().map((d) => ({ account_id: d, approved_payments: String(MAX_COUNT) })));
    process.stderr.write(
      `risk crash: killed after ${seenAtKill}/${total} committed decisions (${sentAtKill} sent); ` +
        `${reader.events.length - PARTITIONS} decision records read in total\n`,
    );
  });

  // One non-transactional record per output partition, after everything the service wrote.
  async function sendSentinels(): Promise<void> {
    const plain = testKafka(uniqueName('risk-crash-sentinel')).producer();
    await plain.connect();
    try {
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const event: RiskAssessed = {
          eventId: uuidv7(),
          type: 'risk.assessed',
          occurredAt: new Date().toISOString(),
          paymentId: `sentinel-${partition}`,
          correlationId: 'sentinel',
          version: 1,
          data: {
            debtorAccountId: 'sentinel',
            creditorAccountId: 'sentinel',
            amount: '0.00',
            currency: 'EUR',
            decision: 'APPROVE',
            score: 0,
            reasons: [],
            ruleVersion: 1,
          },
        };
        await plain.send({
          topic: output,
          acks: -1,
          messages: [{ partition, value: await producer.codec.encode(output, event) }],
        });
      }
    } finally {
      await plain.disconnect();
    }
  }

  function sentinelsSeen(): number {
    return reader.events.filter((e) => e.paymentId.startsWith('sentinel-')).length;
  }
});
