import type { PaymentAuthorized } from '@paystream/contracts';
import {
  ServiceProcess,
  createTestDatabase,
  createTopics,
  dropTestDatabase,
  uniqueName,
  waitFor,
} from '@paystream/testing';
import { LedgerSetup, count, getJson, postJson, runRebuildCli, startLedger } from './ledger-process';
import { PaymentEventsProducer, ResultsReader, authorized, outcomeOf, prng } from './ledger-test-kit';

const ROUNDS = 10;
const PER_ROUND = 150;
const ACCOUNTS = ['hot-1', 'hot-2', 'hot-3'];
// The broker's minimum: the group hands a killed member's partitions on after 6 s instead of 30 s.
// Small chunks: a round's payments (at most four partitions) then commit in several transactions
// one after another, so the kill lands between them; with the default chunk of 1000, a round is
// one combined transaction and the kill would come after all of it.
const FAST_FAILOVER = { LEDGER_CONSUMER_SESSION_TIMEOUT_MS: '6000', LEDGER_BATCH_SIZE: '10' };

describe('ledger process killed with SIGKILL under load', () => {
  let setup: LedgerSetup;
  let dropTopics: () => Promise<void>;
  let producer: PaymentEventsProducer;
  let results: ResultsReader;
  let ledger: ServiceProcess | undefined;
  let rebuilt: string | undefined;

  beforeAll(async () => {
    setup = {
      db: await createTestDatabase('ledger_crash'),
      paymentsTopic: uniqueName('ledger-crash-payments'),
      resultsTopic: uniqueName('ledger-crash-results'),
      group: uniqueName('ledger'),
      port: 3991 + Math.floor(Math.random() * 8),
    };
    dropTopics = await createTopics([
      { name: setup.paymentsTopic, partitions: 3 },
      { name: setup.resultsTopic, partitions: 3 },
      { name: `${setup.paymentsTopic}.${setup.group}.dlq` },
    ]);
    producer = await PaymentEventsProducer.connect();
    results = new ResultsReader(setup.resultsTopic, producer.codec);
    await results.start(uniqueName('ledger-crash-reader'));
  });

  afterAll(async () => {
    await ledger?.stop();
    await results?.stop();
    await producer?.close();
    await dropTopics?.();
    if (rebuilt) await dropTestDatabase(rebuilt);
    await setup?.db.drop();
  });

  const decided = async () => (await count(setup.db.url, 'journal_entries')) + (await count(setup.db.url, 'refusals'));

  it('keeps one decision per payment across 10 kills, and a rebuild gives the live checksum', async () => {
    ledger = startLedger(setup, FAST_FAILOVER);
    await ledger.waitReady();
    const created = await Promise.all([
      postJson(ledger.url('/v1/accounts'), { id: 'fund', currency: 'EUR', allowOverdraft: true }),
      ...ACCOUNTS.map((id) => postJson(ledger!.url('/v1/accounts'), { id, currency: 'EUR' })),
    ]);
    expect(created.map((r) => r.status)).toEqual([201, 201, 201, 201]);

    const random = prng(99);
    const payments: PaymentAuthorized[] = [];
    let killedMidway = 0;
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        ledger = startLedger(setup, FAST_FAILOVER);
        await ledger.waitReady();
      }
      const before = await decided();
      const batch: PaymentAuthorized[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const n = payments.length + batch.length;
        const debtor = random() < 0.3 ? 'fund' : ACCOUNTS[Math.floor(random() * ACCOUNTS.length)];
        const others = ACCOUNTS.filter((a) => a !== debtor);
        const creditor = others[Math.floor(random() * others.length)];
        batch.push(authorized(`crash-${n}`, debtor, creditor, BigInt(1 + Math.floor(random() * 3000))));
      }
      payments.push(...batch);
      await producer.send(setup.paymentsTopic, batch);
      // Kill as soon as this round's payments start landing: mid-batch, mid-relay.
      await waitFor(`round ${round} under way`, async () => (await decided()) > before, {
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      if ((await decided()) < payments.length) killedMidway++;
      expect(await ledger.kill()).toBe('SIGKILL');
      // The replacement gets the partitions now, not after the dead member's session times out.
      await ledger.evictFromGroup(setup.group);
    }

    ledger = startLedger(setup, FAST_FAILOVER);
    await ledger.waitReady();
    await waitFor('every payment decided', async () => (await decided()) === payments.length, {
      timeoutMs: 120_000,
      intervalMs: 300,
    });
    await waitFor('every result relayed', () => results.byPayment.size === payments.length, { timeoutMs: 60_000 });
    const twice = [...results.resultIds].filter(([, ids]) => ids.size !== 1);
    expect(twice).toEqual([]);
    expect(await decided()).toBe(payments.length);
    expect(killedMidway).toBeGreaterThan(0);

    await producer.send(
      setup.paymentsTopic,
      payments.map((p) => outcomeOf(results.byPayment.get(p.paymentId)!)),
    );
    await waitFor(
      'every outcome recorded',
      async () => (await count(setup.db.url, 'payment_outcomes')) === payments.length,
      {
        timeoutMs: 60_000,
        intervalMs: 300,
      },
    );
    const invariants = await getJson<{ ok: boolean; invariants: { name: string; holds: boolean }[] }>(
      ledger.url('/v1/ledger/invariants'),
    );
    expect(invariants.invariants.filter((i) => !i.holds)).toEqual([]);

    const live = await getJson<{ checksum: string; entries: number; postings: number }>(
      ledger.url('/v1/ledger/checksum'),
    );
    const { code, result } = await runRebuildCli(setup);
    rebuilt = result.database;
    expect(result.rebuilt).toEqual(live);
    expect(code).toBe(0);
  });
});
