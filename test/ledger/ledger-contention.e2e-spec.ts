import type { LedgerPosted, PaymentAuthorized, PaymentEvent } from '@paystream/contracts';
import {
  dropTestDatabase,
  createTestDatabase,
  createTopics,
  uniqueName,
  waitFor,
  ServiceProcess,
} from '@paystream/testing';
import { LedgerSetup, count, getJson, postJson, query, runRebuildCli, startLedger } from './ledger-process';
import { PaymentEventsProducer, ResultsReader, authorized, outcomeOf, prng } from './ledger-test-kit';

const PAYMENTS = 2_000;
const HOT = ['hot-a', 'hot-b', 'hot-c', 'hot-d'];

interface Invariants {
  ok: boolean;
  invariants: { name: string; holds: boolean; violations: number }[];
}

describe('ledger service under contention (process, real broker, registry and PostgreSQL)', () => {
  let setup: LedgerSetup;
  let dropTopics: () => Promise<void>;
  let producer: PaymentEventsProducer;
  let ledger: ServiceProcess;
  let results: ResultsReader;
  const rebuiltDatabases: string[] = [];
  const payments: PaymentAuthorized[] = [];
  const url = (p: string) => ledger.url(p);

  beforeAll(async () => {
    const db = await createTestDatabase('ledger');
    setup = {
      db,
      paymentsTopic: uniqueName('ledger-payments'),
      resultsTopic: uniqueName('ledger-results'),
      group: uniqueName('ledger'),
      port: 3901 + Math.floor(Math.random() * 90),
    };
    dropTopics = await createTopics([
      { name: setup.paymentsTopic, partitions: 4 },
      { name: setup.resultsTopic, partitions: 4 },
      { name: `${setup.paymentsTopic}.${setup.group}.dlq` },
    ]);
    producer = await PaymentEventsProducer.connect();
    ledger = startLedger(setup);
    await ledger.waitReady();
    results = new ResultsReader(setup.resultsTopic, producer.codec);
    await results.start(uniqueName('ledger-results-reader'));
  });

  afterAll(async () => {
    await ledger?.stop();
    await results?.stop();
    await producer?.close();
    await dropTopics?.();
    for (const name of rebuiltDatabases) await dropTestDatabase(name);
    await setup?.db.drop();
  });

  it('decides each of 2,000 contended payments exactly once and keeps every invariant', async () => {
    const created = await Promise.all([
      postJson(url('/v1/accounts'), { id: 'fund', currency: 'EUR', allowOverdraft: true, name: 'Funding' }),
      ...HOT.map((id) => postJson(url('/v1/accounts'), { id, currency: 'EUR' })),
      postJson(url('/v1/accounts'), { id: 'usd-1', currency: 'USD' }),
    ]);
    expect(created.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);

    // Heavy contention: every payment touches one of four hot accounts; a third of them move
    // money between hot accounts in both directions (the deadlock-prone pattern).
    const random = prng(20261125);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    const expected = { ACCOUNT_NOT_FOUND: 0, CURRENCY_MISMATCH: 0 };
    const start = Date.parse('2026-11-25T10:00:00Z');
    for (let i = 0; i < PAYMENTS; i++) {
      const r = random();
      const id = `pay-${i}`;
      const at = new Date(start + i * 1000);
      const amount = BigInt(1 + Math.floor(random() * 5000));
      let debtor: string;
      let creditor: string;
      if (r < 0.3) [debtor, creditor] = ['fund', pick(HOT)];
      else if (r < 0.9) {
        debtor = pick(HOT);
        creditor = pick(HOT.filter((h) => h !== debtor));
      } else if (r < 0.95) {
        [debtor, creditor] = [pick(HOT), 'no-such-account'];
        expected.ACCOUNT_NOT_FOUND++;
      } else {
        [debtor, creditor] = [pick(HOT), 'usd-1'];
        expected.CURRENCY_MISMATCH++;
      }
      payments.push(authorized(id, debtor, creditor, amount, 'EUR', at));
    }
    await producer.send(setup.paymentsTopic, payments);

    await waitFor(
      'a ledger result for every payment',
      async () => (await count(setup.db.url, 'journal_entries')) + (await count(setup.db.url, 'refusals')) === PAYMENTS,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    await waitFor('every result relayed to the results topic', () => results.byPayment.size === PAYMENTS, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    const entries = await count(setup.db.url, 'journal_entries');
    const refusals = await query<{ reason: string; n: string }>(
      setup.db.url,
      `SELECT reason, count(*)::text AS n FROM refusals GROUP BY reason`,
    );
    const byReason = Object.fromEntries(refusals.map((r) => [r.reason, Number(r.n)]));
    expect(byReason.ACCOUNT_NOT_FOUND).toBe(expected.ACCOUNT_NOT_FOUND);
    expect(byReason.CURRENCY_MISMATCH).toBe(expected.CURRENCY_MISMATCH);
    expect(byReason.INSUFFICIENT_FUNDS).toBeGreaterThan(0);
    const posted = [...results.byPayment.values()].filter((e): e is LedgerPosted => e.type === 'ledger.posted');
    expect(posted.length).toBe(entries);
    expect(entries + Object.values(byReason).reduce((a, b) => a + b, 0)).toBe(PAYMENTS);

    // Every balance is exactly the sum of the postings the ledger published for it.
    const expectedBalance = new Map<string, bigint>();
    for (const e of posted) {
      for (const p of e.data.postings) {
        expectedBalance.set(p.accountId, (expectedBalance.get(p.accountId) ?? 0n) + BigInt(p.amount.replace('.', '')));
      }
    }
    for (const id of ['fund', ...HOT]) {
      const account = await getJson<{ balance: string }>(url(`/v1/accounts/${id}`));
      expect(BigInt(account.balance.replace('.', ''))).toBe(expectedBalance.get(id) ?? 0n);
    }
    const hotTotal = HOT.reduce((s, id) => s + (expectedBalance.get(id) ?? 0n), 0n);
    expect(hotTotal).toBe(-(expectedBalance.get('fund') ?? 0n));

    // The payment service's part: settle what was posted, fail what was refused. Every other
    // outcome as written before schema v2 (no booking or refusal time): the topic of a platform
    // upgraded while running, so a rebuild takes both of its paths.
    await producer.send(
      setup.paymentsTopic,
      payments.map((p, i) => outcomeOf(results.byPayment.get(p.paymentId)!, { legacy: i % 2 === 0 })),
    );
    await waitFor('every outcome recorded', async () => (await count(setup.db.url, 'payment_outcomes')) === PAYMENTS, {
      timeoutMs: 60_000,
      intervalMs: 300,
    });
    const invariants = await getJson<Invariants>(url('/v1/ledger/invariants'));
    expect(invariants.invariants.filter((i) => !i.holds)).toEqual([]);
    expect(invariants.ok).toBe(true);
    expect(await count(setup.db.url, 'settlement_mismatches')).toBe(0);
  });

  it('pages the statement of a hot account newest first without gaps or repeats', async () => {
    const [{ n }] = await query<{ n: string }>(
      setup.db.url,
      `SELECT count(*)::text AS n FROM postings WHERE account_id = 'hot-a'`,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let previous = '9999';
    do {
      const page: { items: { entryId: string; postedAt: string }[]; nextCursor: string | null } = await getJson(
        url(`/v1/accounts/hot-a/entries?limit=97${cursor ? `&cursor=${cursor}` : ''}`),
      );
      for (const item of page.items) {
        expect(item.postedAt <= previous).toBe(true);
        previous = item.postedAt;
        seen.push(item.entryId);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(Number(n));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('answers the balance as of a point in time from the postings booked until then', async () => {
    const asOf = '2026-11-25T10:10:00.000Z';
    const [row] = await query<{ total: string }>(
      setup.db.url,
      `SELECT COALESCE(sum(amount), 0)::text AS total FROM postings WHERE account_id = 'hot-b' AND posted_at <= $1`,
      [asOf],
    );
    const account = await getJson<{ balance: string; asOf: string }>(url(`/v1/accounts/hot-b?asOf=${asOf}`));
    expect(BigInt(account.balance.replace('.', ''))).toBe(BigInt(row.total));
    expect(account.asOf).toBe(asOf);
  });

  it('rebuilds twice from offset 0 into fresh databases with the live checksum both times', async () => {
    const live = await getJson<{ checksum: string; entries: number; postings: number }>(url('/v1/ledger/checksum'));
    expect(live.entries).toBe(await count(setup.db.url, 'journal_entries'));
    expect(live.postings).toBe(live.entries * 2);
    // The default group size (one member on this 2-core machine), then two members splitting the
    // partitions between two worker threads.
    for (const members of [undefined, 2]) {
      const { code, result, stderr } = await runRebuildCli(setup, members ? ['--members', String(members)] : []);
      rebuiltDatabases.push(result.database);
      if (members) expect(result.members).toBe(members);
      expect(result.duplicatesRemoved).toBe(false);
      expect(stderr).toMatch(/rebuild \[#+\] 100\.0% \d+\/\d+ events +\d+ events\/s/);
      expect(result.events).toBe(PAYMENTS * 2);
      expect(result.untimedPayments).toBe(PAYMENTS / 2);
      expect(result.rebuilt).toEqual(live);
      expect(result.live).toEqual(live);
      expect(code).toBe(0);
      // Balances are derived from the replayed postings and equal the live ones.
      const rebuiltUrl = setup.db.url.replace(setup.db.name, result.database);
      const [liveBalances, rebuiltBalances] = await Promise.all(
        [setup.db.url, rebuiltUrl].map((u) => query(u, `SELECT id, balance::text FROM accounts ORDER BY id`)),
      );
      expect(rebuiltBalances).toEqual(liveBalances);
      // Booked at the live times, whether the event carried them or the look-up found them.
      const times = (u: string) =>
        query(
          u,
          `SELECT id::text AS key, posted_at FROM journal_entries
           UNION ALL SELECT payment_id, refused_at FROM refusals ORDER BY key`,
        );
      const [liveTimes, rebuiltTimes] = await Promise.all([setup.db.url, rebuiltUrl].map(times));
      expect(rebuiltTimes.length).toBe(PAYMENTS);
      expect(rebuiltTimes).toEqual(liveTimes);
    }
  });

  it('rebuilds as of a point in time to the live checksum as of that time', async () => {
    const asOf = '2026-11-25T10:15:00.000Z';
    const live = await getJson<{ checksum: string; entries: number }>(url(`/v1/ledger/checksum?asOf=${asOf}`));
    const { code, result } = await runRebuildCli(setup, ['--as-of', asOf]);
    rebuiltDatabases.push(result.database);
    expect(live.entries).toBeGreaterThan(0);
    expect(live.entries).toBeLessThan(await count(setup.db.url, 'journal_entries'));
    expect(result.rebuilt.checksum).toBe(live.checksum);
    expect(result.rebuilt.entries).toBe(live.entries);
    expect(code).toBe(0);
  });

  it('records a settlement whose postings differ from the journal and raises the alarm metric', async () => {
    const victim = [...results.byPayment.values()].find((e): e is LedgerPosted => e.type === 'ledger.posted')!;
    const tampered = outcomeOf(victim) as Extract<PaymentEvent, { type: 'payment.settled' }>;
    tampered.data.postings = tampered.data.postings.map((p) => ({
      ...p,
      amount: p.amount.startsWith('-') ? '-999.99' : '999.99',
    }));
    await producer.send(setup.paymentsTopic, [tampered]);
    await waitFor('the mismatch recorded', async () => (await count(setup.db.url, 'settlement_mismatches')) === 1, {
      timeoutMs: 30_000,
    });
    const [row] = await query<{ payment_id: string; reason: string }>(
      setup.db.url,
      `SELECT payment_id, reason FROM settlement_mismatches`,
    );
    expect(row).toEqual({ payment_id: victim.paymentId, reason: 'POSTINGS_DIFFER' });
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(metrics).toMatch(/ledger_settlement_mismatch_total\{[^}]*reason="POSTINGS_DIFFER"[^}]*\} 1/);
    const invariants = await getJson<Invariants>(url('/v1/ledger/invariants'));
    expect(invariants.invariants.filter((i) => !i.holds).map((i) => i.name)).toEqual(['no-settlement-mismatch']);
  });

  it('swaps the rebuilt ledger in as the live one, which continues from the same offsets', async () => {
    const before = await getJson<{ checksum: string; entries: number }>(url('/v1/ledger/checksum'));
    await ledger.stop();
    const { code, result } = await runRebuildCli(setup, ['--swap']);
    if (result.replaced) rebuiltDatabases.push(result.replaced);
    expect(code).toBe(0);
    expect(result.replaced).toMatch(new RegExp(`^${setup.db.name}_replaced_\\d+$`));

    ledger = startLedger(setup);
    await ledger.waitReady();
    expect(await getJson(url('/v1/ledger/checksum'))).toEqual(before);
    // The rebuilt database never checked settlements: the mismatch stays in the replaced one.
    expect((await getJson<Invariants>(url('/v1/ledger/invariants'))).ok).toBe(true);

    // Nothing is decided again after the swap; a new payment is decided once.
    await producer.send(setup.paymentsTopic, [authorized('after-swap', 'fund', 'hot-a', 100n)]);
    await waitFor(
      'the new payment posted',
      async () => (await count(setup.db.url, 'journal_entries')) === before.entries + 1,
      {
        timeoutMs: 60_000,
      },
    );
    await waitFor('its result', () => results.byPayment.get('after-swap')?.type === 'ledger.posted', {
      timeoutMs: 30_000,
    });
    expect(await count(setup.db.url, 'refusals')).toBe(PAYMENTS - before.entries);
  });
});
