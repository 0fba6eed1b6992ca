import { PaymentInitiated } from '@paystream/contracts';
import { PermanentError } from '@paystream/messaging';
import { createDataSource, migrateUnderLock } from '@paystream/persistence';
import { createTestDatabase, TestDatabase } from '@paystream/testing';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { RulesService } from '../manage-rules/rules.service';
import { riskMigrations } from '../migrations';
import { DecisionsRepository } from '../persistence/decisions.repository';
import { RulesRepository } from '../persistence/rules.repository';
import { AssessPaymentService } from './assess-payment.service';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

let accountSeq = 0;
function newAccount(): string {
  return `acc-${Date.now().toString(36)}-${++accountSeq}`;
}

function initiated(debtor: string, amount: string, atMs = T0, currency = 'EUR'): PaymentInitiated {
  return {
    eventId: uuidv7(),
    type: 'payment.initiated',
    occurredAt: new Date(atMs).toISOString(),
    paymentId: uuidv7(),
    correlationId: `corr-${accountSeq}`,
    version: 1,
    data: {
      debtorAccountId: debtor,
      creditorAccountId: 'acc-merchant',
      amount,
      currency,
      reference: null,
      metadata: null,
    },
  };
}

describe(AssessPaymentService.name, () => {
  let db: TestDatabase;
  let ds: DataSource;
  let rules: RulesService;
  let service: AssessPaymentService;
  const decisions = new DecisionsRepository();

  /** Assesses in its own transaction, as a consumer batch of one would. */
  const assess = (event: PaymentInitiated) =>
    ds.transaction(async (tx) => {
      const batch = {};
      const decision = await service.assess(tx, event, batch);
      await service.flush(tx, batch);
      return decision;
    });

  /** Assesses `events` in one transaction, as one consumer batch would. */
  const assessBatch = (events: PaymentInitiated[]) =>
    ds.transaction(async (tx) => {
      const batch = {};
      const out = [];
      // Reading ahead as the consumer does (ctx.batchEvents()): one history statement for all.
      for (const e of events) out.push(await service.assess(tx, e, batch, () => events));
      await service.flush(tx, batch);
      return out;
    });

  /** Approves `n` payments of `amount` for a seasoned account (clears the new-account rule). */
  async function season(debtor: string, n: number, amount = '1.00', atMs = T0 - 3_600_000): Promise<void> {
    for (let i = 0; i < n; i++)
      expect((await assess(initiated(debtor, amount, atMs + i)))?.data.decision).toBe('APPROVE');
  }

  beforeAll(async () => {
    db = await createTestDatabase('risk_assess');
    ds = createDataSource({
      serverUrl: db.serverUrl,
      database: db.name,
      poolSize: 4,
      entities: [],
      migrations: riskMigrations,
      applicationName: 'risk-assess-int-spec',
    });
    await ds.initialize();
    await migrateUnderLock(ds);
    const repo = new RulesRepository();
    rules = new RulesService(ds, repo, { amountLimit: '10000.00' });
    await rules.installDefaults();
    service = new AssessPaymentService(repo, decisions, () => new Date('2026-03-01T12:00:05.000Z'));
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('emits risk.assessed with the payment terms, the input correlation id, version 1 and the rule version', async () => {
    const debtor = newAccount();
    const event = initiated(debtor, '125.50');
    const out = await assess(event);
    expect(out).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'risk.assessed',
      occurredAt: '2026-03-01T12:00:05.000Z',
      paymentId: event.paymentId,
      correlationId: event.correlationId,
      version: 1,
      data: {
        debtorAccountId: debtor,
        creditorAccountId: 'acc-merchant',
        amount: '125.50',
        currency: 'EUR',
        decision: 'APPROVE',
        score: 0.1255,
        reasons: [],
        ruleVersion: 1,
      },
    });
    const stored = await decisions.find(ds.manager, event.paymentId);
    expect(stored).toMatchObject({
      decision: 'APPROVE',
      amountMinor: 12550n,
      sourceEventId: event.eventId,
      ruleVersion: 1,
    });
  });

  it('amount limit: approves 10000.00 and rejects 10000.01 with RISK_AMOUNT_LIMIT', async () => {
    const debtor = newAccount();
    await season(debtor, 3);
    expect((await assess(initiated(debtor, '10000.00')))?.data).toMatchObject({ decision: 'APPROVE', reasons: [] });
    expect((await assess(initiated(debtor, '10000.01')))?.data).toMatchObject({
      decision: 'REJECT',
      reasons: ['RISK_AMOUNT_LIMIT'],
    });
  });

  it('new account limit: rejects above 1000.00 until the account has 3 approved payments, then approves', async () => {
    const debtor = newAccount();
    expect((await assess(initiated(debtor, '1000.01')))?.data.reasons).toEqual(['RISK_NEW_ACCOUNT_LIMIT']);
    await season(debtor, 2, '1000.00');
    expect((await assess(initiated(debtor, '1000.01')))?.data.reasons).toEqual(['RISK_NEW_ACCOUNT_LIMIT']);
    await season(debtor, 1, '5.00');
    expect((await assess(initiated(debtor, '1000.01')))?.data.decision).toBe('APPROVE');
  });

  it('velocity count: approves 20 payments within 10 minutes and rejects the 21st; rejected ones do not count', async () => {
    const debtor = newAccount();
    for (let i = 0; i < 20; i++) {
      expect((await assess(initiated(debtor, '1.00', T0 + i * 1000)))?.data.decision).toBe('APPROVE');
    }
    expect((await assess(initiated(debtor, '1.00', T0 + 25_000)))?.data.reasons).toEqual(['RISK_VELOCITY_COUNT']);
    expect((await assess(initiated(debtor, '1.00', T0 + 26_000)))?.data.reasons).toEqual(['RISK_VELOCITY_COUNT']);
    // 10 minutes after the first approval it has left the window (window is (t - 600 s, t]): one slot is free again.
    expect((await assess(initiated(debtor, '1.00', T0 + 600_000)))?.data.decision).toBe('APPROVE');
    expect((await assess(initiated(debtor, '1.00', T0 + 600_500)))?.data.reasons).toEqual(['RISK_VELOCITY_COUNT']);
  });

  it('velocity amount: approves up to 50000.00 within 10 minutes and rejects what goes above it', async () => {
    const debtor = newAccount();
    await season(debtor, 3, '1.00', T0 - 3_600_000);
    for (let i = 0; i < 5; i++) {
      expect((await assess(initiated(debtor, '10000.00', T0 + i * 1000)))?.data.decision).toBe('APPROVE');
    }
    expect((await assess(initiated(debtor, '0.01', T0 + 10_000)))?.data.reasons).toEqual(['RISK_VELOCITY_AMOUNT']);
    // Another currency has its own total.
    expect((await assess(initiated(debtor, '100.00', T0 + 11_000, 'USD')))?.data.decision).toBe('APPROVE');
  });

  it('blocked account: rejects the listed debtor with RISK_BLOCKED_ACCOUNT and approves others; a PUT applies at once', async () => {
    const blocked = newAccount();
    const other = newAccount();
    expect((await assess(initiated(blocked, '10.00')))?.data.decision).toBe('APPROVE');
    const before = await rules.current();
    const change = await rules.replace({ ...before.rules, blockedAccounts: [blocked] }, null);
    const out = await assess(initiated(blocked, '10.00'));
    expect(out?.data).toMatchObject({
      decision: 'REJECT',
      reasons: ['RISK_BLOCKED_ACCOUNT'],
      ruleVersion: change.version,
    });
    expect((await assess(initiated(other, '10.00')))?.data).toMatchObject({
      decision: 'APPROVE',
      ruleVersion: change.version,
    });
    await rules.replace(before.rules, null);
  });

  it('decides a payment once: a second payment.initiated for it emits nothing and counts nothing', async () => {
    const debtor = newAccount();
    const event = initiated(debtor, '10.00');
    expect(await assess(event)).toBeDefined();
    expect(await assess({ ...event, eventId: uuidv7() })).toBeUndefined();
    const [activity] = await ds.query(`SELECT approved_payments FROM risk_account_activity WHERE account_id = $1`, [
      debtor,
    ]);
    expect(activity.approved_payments).toBe('1');
  });

  it('rolls the velocity state back with the transaction that failed', async () => {
    const debtor = newAccount();
    await expect(
      ds.transaction(async (tx) => {
        const batch = {};
        await service.assess(tx, initiated(debtor, '10.00'), batch);
        await service.flush(tx, batch);
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    const rows = await ds.query(`SELECT count(*)::int AS n FROM risk_decisions WHERE debtor_account_id = $1`, [debtor]);
    expect(rows[0].n).toBe(0);
    expect(await ds.query(`SELECT * FROM risk_account_activity WHERE account_id = $1`, [debtor])).toEqual([]);
  });

  it('in one batch, counts the earlier approvals of the batch exactly as if they were stored', async () => {
    const debtor = newAccount();
    await season(debtor, 3, '1.00', T0 - 3_600_000);
    // 17 in the window before the batch, 3 in it: the 21st payment in the window is refused, the
    // refused one does not count, and the batch's approvals count towards the amount too.
    for (let i = 0; i < 17; i++) await assess(initiated(debtor, '1.00', T0 + i * 1000));
    const batch = [
      initiated(debtor, '1.00', T0 + 20_000),
      initiated(debtor, '1.00', T0 + 21_000),
      initiated(debtor, '1.00', T0 + 22_000),
      initiated(debtor, '1.00', T0 + 23_000),
      initiated(debtor, '1.00', T0 + 24_000),
    ];
    const out = await assessBatch(batch);
    expect(out.map((d) => d?.data.decision)).toEqual(['APPROVE', 'APPROVE', 'APPROVE', 'REJECT', 'REJECT']);
    expect(out[3]?.data.reasons).toEqual(['RISK_VELOCITY_COUNT']);
    const [activity] = await ds.query(`SELECT approved_payments FROM risk_account_activity WHERE account_id = $1`, [
      debtor,
    ]);
    expect(activity.approved_payments).toBe(String(3 + 17 + 3));
    for (const [i, e] of batch.entries()) {
      expect((await decisions.find(ds.manager, e.paymentId))?.decision).toBe(out[i]?.data.decision);
    }
  });

  it('in one batch, decides a payment once: a second payment.initiated for it emits nothing', async () => {
    const event = initiated(newAccount(), '10.00');
    const out = await assessBatch([event, { ...event, eventId: uuidv7() }]);
    expect(out[0]).toBeDefined();
    expect(out[1]).toBeUndefined();
  });

  it('fails the batch as a lost race (40001) when another transaction decided one of its payments meanwhile', async () => {
    const event = initiated(newAccount(), '10.00');
    await expect(
      ds.transaction(async (tx) => {
        const batch = {};
        expect(await service.assess(tx, event, batch)).toBeDefined();
        // Another instance decides the same payment id (with another event) and commits first.
        await assess({ ...event, eventId: uuidv7() });
        await service.flush(tx, batch);
      }),
    ).rejects.toMatchObject({ code: '40001' });
    // The retry finds the decision and emits nothing.
    expect(await assess(event)).toBeUndefined();
  });

  it('refuses an event whose amount is not a valid amount of its currency as permanent', async () => {
    await expect(assess(initiated(newAccount(), '10.001'))).rejects.toBeInstanceOf(PermanentError);
    await expect(assess(initiated(newAccount(), '10.00', T0, 'ZZZ'))).rejects.toBeInstanceOf(PermanentError);
  });
});
