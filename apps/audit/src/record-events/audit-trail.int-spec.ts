import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AnyEvent } from '@paystream/contracts';
import { createTestDatabase, TestDatabase } from '@paystream/testing';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AuditTrailRepository } from '../persistence/audit-trail.repository';
import { createAuditTestApp } from '../testing/audit-test-app';
import { BatchScope, RecordEventService } from './record-event.service';

function event(type: AnyEvent['type'], paymentId: string, debtor: string, atMs: number): AnyEvent {
  return {
    eventId: uuidv7(),
    type,
    occurredAt: new Date(atMs).toISOString(),
    paymentId,
    correlationId: `corr-${paymentId}`,
    version: 1,
    data: {
      debtorAccountId: debtor,
      creditorAccountId: 'acc-shop',
      amount: '12.34',
      currency: 'EUR',
      reference: null,
      metadata: null,
    },
  } as AnyEvent;
}

/** What the consumer runtime gives a batch: one transaction, scratch state, flushes before commit. */
async function inBatch(ds: DataSource, fn: (scope: BatchScope) => Promise<void>): Promise<void> {
  await ds.transaction(async (manager) => {
    const states = new Map<string, unknown>();
    const flushes = new Map<string, (m: EntityManager) => Promise<void>>();
    const scope: BatchScope = {
      manager,
      batchState: <T>(key: string, init: () => T): T => {
        if (!states.has(key)) states.set(key, init());
        return states.get(key) as T;
      },
      deferUntilCommit: (key, flush) => {
        if (!flushes.has(key)) flushes.set(key, flush);
      },
    };
    await fn(scope);
    for (const flush of flushes.values()) await flush(manager);
  });
}

describe('audit trail', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let ds: DataSource;
  let superuser: Client;
  const service = new RecordEventService(new AuditTrailRepository());
  const T0 = Date.parse('2026-04-01T08:00:00.000Z');
  const origin = (offset: number) => ({
    topic: 'payment-events',
    partition: 0,
    offset: String(offset),
    group: 'audit',
  });

  const get = async <T>(url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json<T>() };
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_trail');
    app = await createAuditTestApp(db);
    ds = app.get(DataSource);
    superuser = new Client({ connectionString: db.url });
    await superuser.connect();
    // Three payments of two debtors, three events each, over three batches.
    let offset = 0;
    for (const [paymentId, debtor] of [
      ['pay-a', 'acc-1'],
      ['pay-b', 'acc-2'],
      ['pay-c', 'acc-1'],
    ]) {
      await inBatch(ds, async (scope) => {
        for (const type of ['payment.initiated', 'payment.authorized', 'payment.settled'] as const) {
          await service.record(scope, event(type, paymentId, debtor, T0 + offset * 60_000), origin(offset++));
        }
      });
    }
  });

  afterAll(async () => {
    await superuser?.end();
    await app?.close();
    await db?.drop();
  });

  it('verifies an untouched trail: one record per event, strictly sequential', async () => {
    expect(await get('/v1/audit/verify')).toEqual({ status: 200, body: { valid: true, events: 9 } });
    const rows: { sequence: string }[] = await ds.query(`SELECT sequence FROM audit_events ORDER BY sequence`);
    expect(rows.map((r) => Number(r.sequence))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('filters by payment, account, type and time, pages with a cursor, and refuses unknown parameters', async () => {
    const byPayment = await get<{ items: { paymentId: string; type: string }[] }>('/v1/audit/events?paymentId=pay-b');
    expect(byPayment.body.items.map((i) => i.type)).toEqual([
      'payment.initiated',
      'payment.authorized',
      'payment.settled',
    ]);

    const byAccount = await get<{ items: { paymentId: string }[] }>(
      '/v1/audit/events?accountId=acc-1&type=payment.settled',
    );
    expect(byAccount.body.items.map((i) => i.paymentId)).toEqual(['pay-a', 'pay-c']);
    const asCreditor = await get<{ items: unknown[] }>('/v1/audit/events?accountId=acc-shop&limit=100');
    expect(asCreditor.body.items).toHaveLength(9);

    const from = new Date(T0 + 3 * 60_000).toISOString();
    const to = new Date(T0 + 5 * 60_000).toISOString();
    const window = await get<{ items: { sequence: number }[] }>(`/v1/audit/events?from=${from}&to=${to}`);
    expect(window.body.items.map((i) => i.sequence)).toEqual([4, 5]);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/audit/events?limit=4${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await get<{ items: { sequence: number }[]; nextCursor: string | null }>(url);
      seen.push(...page.body.items.map((i) => i.sequence));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const bad = await get<{ errors: { field: string }[] }>('/v1/audit/events?account=acc-1&limit=0&type=nope');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e) => e.field).sort()).toEqual(['account', 'limit', 'type']);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the trail from the app connection', async () => {
    await expect(ds.query(`UPDATE audit_events SET type = 'x' WHERE sequence = 1`)).rejects.toThrow(
      /append-only: UPDATE/,
    );
    await expect(ds.query(`DELETE FROM audit_events WHERE sequence = 1`)).rejects.toThrow(/append-only: DELETE/);
    await expect(ds.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only: TRUNCATE/);
    expect((await get<{ valid: boolean }>('/v1/audit/verify')).body.valid).toBe(true);
  });

  it('appends concurrent batches one after another: no two records share a sequence or a previous hash', async () => {
    await Promise.all(
      [0, 1, 2, 3].map((n) =>
        inBatch(ds, async (scope) => {
          for (let i = 0; i < 3; i++) {
            await service.record(
              scope,
              event('payment.initiated', `pay-par-${n}-${i}`, `acc-p${n}`, T0),
              origin(100 + n * 10 + i),
            );
          }
        }),
      ),
    );
    expect((await get('/v1/audit/verify')).body).toEqual({ valid: true, events: 21 });
    const [dupes] = await ds.query(`SELECT count(*) - count(DISTINCT previous_hash) AS n FROM audit_events`);
    expect(Number(dupes.n)).toBe(0);
  });

  it('fails verification naming the record a superuser altered directly in the database', async () => {
    const [target] = await superuser
      .query(`SELECT sequence, event_id FROM audit_events WHERE payment_id = 'pay-b' AND type = 'payment.authorized'`)
      .then((r) => r.rows as { sequence: string; event_id: string }[]);
    // A superuser can get past the triggers; that is what verify is for.
    await superuser.query('BEGIN');
    await superuser.query('SET LOCAL session_replication_role = replica');
    await superuser.query(
      `UPDATE audit_events SET event = jsonb_set(event, '{data,amount}', '"99999.00"') WHERE sequence = $1`,
      [target.sequence],
    );
    await superuser.query('COMMIT');

    const result = await get<{ valid: boolean; events: number; firstInvalid: unknown }>('/v1/audit/verify');
    expect(result.body).toEqual({
      valid: false,
      events: Number(target.sequence),
      firstInvalid: {
        sequence: Number(target.sequence),
        eventId: target.event_id,
        reason: 'HASH_MISMATCH',
        detail: expect.any(String),
      },
    });
  });
});
