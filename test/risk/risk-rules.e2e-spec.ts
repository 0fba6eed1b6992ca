import {
  createTestDatabase,
  createTopics,
  ServiceProcess,
  startService,
  TestDatabase,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { CommittedReader, EventProducer, paymentInitiated, randomPort } from './risk-kit';
import type { PaymentInitiated, RiskAssessed } from '@paystream/contracts';

// The risk service as a process (npm run build first) on its own topics and database: each
// default rule approving and rejecting, end to end through Kafka, and a rule change by PUT
// taking effect in the running process.
describe('risk service: default rules end to end', () => {
  const input = uniqueName('risk_in');
  const output = uniqueName('risk_out');
  const run = uniqueName('r');
  const T0 = Date.parse('2026-05-01T10:00:00.000Z');
  const at = (seconds: number) => new Date(T0 + seconds * 1000);
  let db: TestDatabase;
  let deleteTopics: () => Promise<void>;
  let risk: ServiceProcess;
  let producer: EventProducer;
  let reader: CommittedReader;

  const decisionOf = (p: PaymentInitiated): RiskAssessed['data'] | undefined =>
    reader.events.find((e) => e.paymentId === p.paymentId)?.data;
  const waitForDecisions = (payments: PaymentInitiated[]) =>
    waitFor(`${payments.length} decisions`, () => payments.every((p) => decisionOf(p)), { timeoutMs: 90_000 });
  const expectDecision = (p: PaymentInitiated, decision: 'APPROVE' | 'REJECT', reasons: string[] = []) =>
    expect({ paymentId: p.paymentId, ...pick(decisionOf(p)) }).toEqual({ paymentId: p.paymentId, decision, reasons });

  beforeAll(async () => {
    db = await createTestDatabase('risk_rules_e2e');
    deleteTopics = await createTopics([
      { name: input, partitions: 3 },
      { name: output, partitions: 3 },
    ]);
    producer = await EventProducer.connect();
    reader = await CommittedReader.start(output, producer.codec);
    risk = startService('risk', randomPort(), {
      DATABASE_URL: db.serverUrl,
      DATABASE_NAME: db.name,
      RISK_INPUT_TOPIC: input,
      RISK_OUTPUT_TOPIC: output,
      RISK_CONSUMER_GROUP: uniqueName('risk_group'),
    });
    await risk.waitReady(90_000);
  });

  afterAll(async () => {
    await risk?.stop();
    await reader?.close();
    await producer?.close();
    await deleteTopics?.();
    await db?.drop();
  });

  it('approves and rejects by each default rule, recording the rule version, and serves each decision', async () => {
    const seasoned = (debtor: string) => [1, 2, 3].map((i) => paymentInitiated(debtor, '1.00', at(-100 + i)));

    const amountDebtor = `${run}-amount`;
    const amountSeason = seasoned(amountDebtor);
    const atLimit = paymentInitiated(amountDebtor, '10000.00', at(0));
    const aboveLimit = paymentInitiated(amountDebtor, '10000.01', at(1));

    const newDebtor = `${run}-new`;
    const newAbove = paymentInitiated(newDebtor, '1000.01', at(0));
    const newAt = paymentInitiated(newDebtor, '1000.00', at(1));

    const countDebtor = `${run}-count`;
    const twenty = Array.from({ length: 20 }, (_, i) => paymentInitiated(countDebtor, '1.00', at(i)));
    const twentyFirst = paymentInitiated(countDebtor, '1.00', at(30));
    // 600 s after the first one, that one has left the window: the count is back at 19 + 1.
    const afterWindow = paymentInitiated(countDebtor, '1.00', at(600));

    const sumDebtor = `${run}-sum`;
    const sumSeason = seasoned(sumDebtor);
    const large = [0, 1, 2, 3, 4].map((i) => paymentInitiated(sumDebtor, '9999.00', at(i)));
    const reachesMax = paymentInitiated(sumDebtor, '2.00', at(10)); // 3 + 49995 + 2 = 50000.00
    const exceedsMax = paymentInitiated(sumDebtor, '0.01', at(11));

    const groups = [
      [...amountSeason, atLimit, aboveLimit],
      [newAbove, newAt],
      [...twenty, twentyFirst, afterWindow],
      [...sumSeason, ...large, reachesMax, exceedsMax],
    ];
    for (const g of groups) await producer.send(input, g);
    await waitForDecisions(groups.flat());

    expectDecision(atLimit, 'APPROVE');
    expectDecision(aboveLimit, 'REJECT', ['RISK_AMOUNT_LIMIT']);
    expectDecision(newAbove, 'REJECT', ['RISK_NEW_ACCOUNT_LIMIT']);
    expectDecision(newAt, 'APPROVE');
    twenty.forEach((p) => expectDecision(p, 'APPROVE'));
    expectDecision(twentyFirst, 'REJECT', ['RISK_VELOCITY_COUNT']);
    expectDecision(afterWindow, 'APPROVE');
    large.forEach((p) => expectDecision(p, 'APPROVE'));
    expectDecision(reachesMax, 'APPROVE');
    expectDecision(exceedsMax, 'REJECT', ['RISK_VELOCITY_AMOUNT']);

    const emitted = reader.events.find((e) => e.paymentId === aboveLimit.paymentId)!;
    expect(emitted).toMatchObject({
      type: 'risk.assessed',
      version: 1,
      correlationId: aboveLimit.correlationId,
      data: { debtorAccountId: amountDebtor, amount: '10000.01', currency: 'EUR', ruleVersion: 1, score: 1 },
    });
    const served = await fetch(risk.url(`/v1/risk/decisions/${aboveLimit.paymentId}`)).then((r) => r.json());
    expect(served).toMatchObject({
      paymentId: aboveLimit.paymentId,
      decision: 'REJECT',
      reasons: ['RISK_AMOUNT_LIMIT'],
      ruleVersion: 1,
      amount: '10000.01',
      decisionEventId: emitted.eventId,
      sourceEventId: aboveLimit.eventId,
    });
  });

  it('applies a rule changed by PUT to the next payment without a restart: a blocked account is rejected', async () => {
    const blocked = `${run}-blocked`;
    const other = `${run}-other`;
    const before = paymentInitiated(blocked, '10.00', at(0));
    await producer.send(input, [before]);
    await waitForDecisions([before]);
    expectDecision(before, 'APPROVE');

    const current = (await fetch(risk.url('/v1/risk/rules')).then((r) => r.json())) as {
      version: number;
      rules: object;
    };
    const put = await fetch(risk.url('/v1/risk/rules'), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...current.rules, blockedAccounts: [blocked] }),
    });
    expect(put.status).toBe(200);
    const { version } = (await put.json()) as { version: number };
    expect(version).toBe(current.version + 1);

    const after = paymentInitiated(blocked, '10.00', at(5));
    const unaffected = paymentInitiated(other, '10.00', at(5));
    await producer.send(input, [after, unaffected]);
    await waitForDecisions([after, unaffected]);
    expectDecision(after, 'REJECT', ['RISK_BLOCKED_ACCOUNT']);
    expectDecision(unaffected, 'APPROVE');
    expect(decisionOf(after)?.ruleVersion).toBe(version);
    expect(risk.child.exitCode).toBeNull();
  });
});

function pick(d: RiskAssessed['data'] | undefined) {
  return { decision: d?.decision, reasons: d?.reasons };
}
