import { randomUUID } from 'node:crypto';
import { ContractTopics, createContractTopics, waitFor } from '@paystream/testing';
import { Client } from 'pg';
import { PaymentApiHarness, countRows, startPaymentApi } from './payment-harness';

const PROBLEM = 'https://paystream.dev/problems/';

interface Sent {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('Payment API (POST /v1/payments, GET /v1/payments) against PostgreSQL', () => {
  let topics: ContractTopics;
  let api: PaymentApiHarness;

  beforeAll(async () => {
    topics = await createContractTopics('payment-api');
    api = await startPaymentApi(topics);
  });

  afterAll(async () => {
    await api?.close();
    await topics?.delete();
  });

  const body = (patch: Record<string, unknown> = {}) => ({
    debtorAccountId: 'acc-alice',
    creditorAccountId: 'acc-bob',
    amount: '125.50',
    currency: 'EUR',
    ...patch,
  });

  async function post(
    payload: unknown,
    key: string | null = randomUUID(),
    headers: Record<string, string> = {},
  ): Promise<Sent> {
    const res = await fetch(api.url('/v1/payments'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { 'idempotency-key': key }),
        ...headers,
      },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  async function get(path: string): Promise<Sent> {
    const res = await fetch(api.url(path));
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  /** Group-commit transactions of POST so far (the count of the batch-size histogram). */
  async function batchCount(): Promise<number> {
    const text = await (await fetch(api.url('/metrics'))).text();
    const line = text.split('\n').find((l) => l.startsWith('payment_submit_batch_size_count'));
    return Number(line?.split(' ').pop() ?? 0);
  }

  /** Per payment id: the payments, their initiation history rows and payment.initiated events. */
  async function storedFor(ids: string[]): Promise<Record<string, number>> {
    const { rows } = await api.sql.query<{ payments: string; history: string; events: string }>(
      `SELECT (SELECT count(*) FROM payments WHERE id = ANY($1::uuid[])) AS payments,
              (SELECT count(*) FROM payment_status_history WHERE payment_id = ANY($1::uuid[]) AND version = 1) AS history,
              (SELECT count(*) FROM messaging_outbox
                WHERE type = 'payment.initiated' AND payload->>'paymentId' = ANY($1::text[])) AS events`,
      [ids],
    );
    const r = rows[0];
    return { payments: Number(r.payments), initiatedHistory: Number(r.history), initiatedEvents: Number(r.events) };
  }

  async function outboxEventsOf(paymentId: string): Promise<{ type: string; event_id: string; key: string }[]> {
    const { rows } = await api.sql.query<{ type: string; event_id: string; key: string }>(
      `SELECT type, event_id, key FROM messaging_outbox WHERE payload->>'paymentId' = $1 ORDER BY id`,
      [paymentId],
    );
    return rows;
  }

  describe('POST /v1/payments', () => {
    it('creates a PENDING payment with its history and one payment.initiated outbox row keyed by the debtor', async () => {
      const res = await post(body({ reference: 'Invoice 9', metadata: { orderId: 'o-1' } }), randomUUID(), {
        'x-correlation-id': 'corr-create-1',
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/v1/payments/${String(res.body.id)}`);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      expect(res.body).toMatchObject({
        status: 'PENDING',
        debtorAccountId: 'acc-alice',
        creditorAccountId: 'acc-bob',
        amount: '125.50',
        currency: 'EUR',
        reference: 'Invoice 9',
        metadata: { orderId: 'o-1' },
        reason: null,
        statusHistory: [{ status: 'PENDING', reason: null }],
      });
      const id = String(res.body.id);
      const { rows } = await api.sql.query<{ amount_minor: string }>(
        'SELECT amount_minor FROM payments WHERE id = $1',
        [id],
      );
      expect(rows).toEqual([{ amount_minor: '12550' }]);
      const outbox = await api.sql.query<{ payload: Record<string, unknown>; key: string; topic: string }>(
        `SELECT topic, key, payload FROM messaging_outbox WHERE payload->>'paymentId' = $1`,
        [id],
      );
      expect(outbox.rows).toHaveLength(1);
      expect(outbox.rows[0]).toMatchObject({
        topic: topics.paymentEvents,
        key: 'acc-alice',
        payload: {
          type: 'payment.initiated',
          version: 1,
          correlationId: 'corr-create-1',
          data: { amount: '125.50', currency: 'EUR', reference: 'Invoice 9', metadata: '{"orderId":"o-1"}' },
        },
      });
      expect(String((outbox.rows[0].payload as { eventId: string }).eventId)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    });

    it('replays the first response for the same key and body, with Idempotent-Replayed: true', async () => {
      const key = randomUUID();
      const first = await post(body({ metadata: { a: 1, b: 2 } }), key);
      // Same content, other key order: the canonical fingerprint is the same.
      const { debtorAccountId, ...rest } = body();
      const again = await post({ metadata: { b: 2, a: 1 }, ...rest, debtorAccountId }, key);
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await outboxEventsOf(String(first.body.id))).toHaveLength(1);
      const { rows } = await api.sql.query('SELECT id FROM payments WHERE id = $1', [first.body.id]);
      expect(rows).toHaveLength(1);
    });

    it('answers 422 naming the differing fields when a key is reused with another body, storing nothing', async () => {
      const key = randomUUID();
      const first = await post(body({ metadata: { orderId: 'o-1' } }), key);
      const before = await countRows(api.sql);
      const other = await post(body({ amount: '125.51', metadata: { orderId: 'o-2' } }), key);
      expect(other.status).toBe(422);
      expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(other.body).toMatchObject({
        type: `${PROBLEM}idempotency-key-reused`,
        status: 422,
        differingFields: ['amount', 'metadata.orderId'],
      });
      expect(await countRows(api.sql)).toEqual(before);
      // The first response is still what the key replays.
      const replay = await post(body({ metadata: { orderId: 'o-1' } }), key);
      expect(replay.body).toEqual(first.body);
    });

    it('creates exactly one payment and one event for 50 concurrent identical requests; the others replay or get 409', async () => {
      const key = randomUUID();
      const payload = body({ amount: '50.00', reference: 'concurrent' });
      const results = await Promise.all(Array.from({ length: 50 }, () => post(payload, key)));
      const created = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
      const replayed = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true');
      const inFlight = results.filter((r) => r.status === 409);
      expect(created).toHaveLength(1);
      expect(replayed.length + inFlight.length).toBe(49);
      for (const r of replayed) expect(r.body).toEqual(created[0].body);
      for (const r of inFlight)
        expect(r.body).toMatchObject({ type: `${PROBLEM}idempotency-key-in-flight`, status: 409 });
      const { rows } = await api.sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM payments WHERE reference = 'concurrent'`,
      );
      expect(Number(rows[0].n)).toBe(1);
      expect(await outboxEventsOf(String(created[0].body.id))).toEqual([
        expect.objectContaining({ type: 'payment.initiated', key: 'acc-alice' }),
      ]);
      // Once the first has committed, the key replays for everyone.
      const later = await post(payload, key);
      expect(later.status).toBe(201);
      expect(later.headers.get('idempotent-replayed')).toBe('true');
      expect(later.body.id).toBe(created[0].body.id);
    });

    it('commits concurrent requests together and gives each its own answer: new, replayed, reused, in flight', async () => {
      const replayKey = randomUUID();
      const reusedKey = randomUUID();
      const heldKey = randomUUID();
      const first = await post(body({ amount: '11.00', reference: 'gc-replay' }), replayKey);
      await post(body({ amount: '12.00', reference: 'gc-reused' }), reusedKey);
      await api.sql.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [heldKey]);
      const batchesBefore = await batchCount();
      const fresh = Array.from({ length: 30 }, (_, i) => ({
        key: randomUUID(),
        amount: `${i + 1}.25`,
        reference: `gc-${i}`,
      }));
      const [replayed, reused, held, ...created] = await Promise.all([
        post(body({ amount: '11.00', reference: 'gc-replay' }), replayKey),
        post(body({ amount: '99.00', reference: 'gc-reused' }), reusedKey),
        post(body({ amount: '13.00' }), heldKey),
        ...fresh.map((f) => post(body({ amount: f.amount, reference: f.reference }), f.key)),
      ]);
      await api.sql.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [heldKey]);

      expect(replayed.status).toBe(201);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayed.body).toEqual(first.body);
      expect(reused.status).toBe(422);
      expect(reused.body).toMatchObject({ differingFields: ['amount'] });
      expect(held.status).toBe(409);
      expect(
        created.map((r) => [r.status, r.headers.get('idempotent-replayed'), r.body.amount, r.body.reference]),
      ).toEqual(fresh.map((f) => [201, null, f.amount, f.reference]));
      const ids = created.map((r) => String(r.body.id));
      expect(new Set(ids).size).toBe(30);
      // Exactly the 30 new payments, each with its first history row, its key and one event (counted
      // per payment: the saga of this instance may move them on meanwhile if a risk service runs).
      expect(await storedFor(ids)).toEqual({ payments: 30, initiatedHistory: 30, initiatedEvents: 30 });
      const { rows } = await api.sql.query<{ key: string; payment_id: string; events: string }>(
        `SELECT k.key, k.payment_id,
                (SELECT count(*) FROM messaging_outbox o WHERE o.payload->>'paymentId' = k.payment_id::text) AS events
           FROM idempotency_keys k WHERE k.key = ANY($1)`,
        [fresh.map((f) => f.key)],
      );
      const byKey = new Map(rows.map((r) => [r.key, r]));
      expect(fresh.map((f) => [byKey.get(f.key)?.payment_id, byKey.get(f.key)?.events])).toEqual(
        ids.map((id) => [id, '1']),
      );
      // Group commit: fewer transactions than requests.
      expect((await batchCount()) - batchesBefore).toBeLessThan(33);
    });

    it('answers from the record of a first request that commits while its insert waits, creating nothing', async () => {
      const key = randomUUID();
      const first = { ...body({ amount: '21.00' }), reference: 'first-elsewhere' };
      // A first request elsewhere, caught between its insert and its commit, without the key's lock:
      // our statement claims the key and reads no record, then its insert waits on that row.
      const other = new Client({ connectionString: api.db.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query(
          `INSERT INTO idempotency_keys (key, fingerprint, request_body, response_status, response_body, created_at, expires_at)
           VALUES ($1, $2, $3, 201, '{"id":"elsewhere"}', now(), now() + interval '1 day')`,
          [key, 'f'.repeat(64), JSON.stringify(first)],
        );
        const pending = post(body({ amount: '22.00', reference: 'second-here' }), key);
        await waitFor('the insert waits for the first request', async () => {
          const { rows } = await api.sql.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'WITH input AS MATERIALIZED%'`,
          );
          return Number(rows[0].n) > 0;
        });
        await other.query('COMMIT');
        const res = await pending;
        // Tried again in a new transaction, which sees the committed record: another body → 422.
        expect(res.status).toBe(422);
        expect(res.body).toMatchObject({ differingFields: ['amount', 'reference'] });
        const stored = await api.sql.query<{ payments: string; key_payment: string | null; events: string }>(
          `SELECT (SELECT count(*) FROM payments WHERE reference = 'second-here') AS payments,
                  (SELECT payment_id FROM idempotency_keys WHERE key = $1) AS key_payment,
                  (SELECT count(*) FROM messaging_outbox WHERE payload->'data'->>'reference' = 'second-here') AS events`,
          [key],
        );
        expect(stored.rows).toEqual([{ payments: '0', key_payment: null, events: '0' }]);
      } finally {
        await other.end();
      }
    });

    it('fails only the request the database refuses when it shares a batch with others', async () => {
      const { SubmitPaymentService } = await import('../../apps/payment/src/submit-payment/submit-payment.service');
      const service = api.app.get(SubmitPaymentService);
      const badKey = randomUUID();
      // Past validation on purpose (the API refuses NUL with a 400): PostgreSQL refuses the row,
      // which fails the whole batch transaction; its neighbours must still be committed.
      const bad = service
        .submit(
          badKey,
          { reference: 'nul' },
          {
            debtorAccountId: 'acc-alice',
            creditorAccountId: 'acc-bob',
            amountMinor: 100n,
            currency: 'EUR',
            reference: 'a\u0000b',
            metadata: null,
          },
        )
        .then(
          () => 'stored',
          (err: Error) => err.message,
        );
      const good = Array.from({ length: 10 }, (_, i) =>
        post(body({ amount: `${i + 1}.00`, reference: `gc-good-${i}` })),
      );
      const results = await Promise.all(good);
      expect(await bad).toMatch(/0x00|invalid byte sequence/);
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 201));
      expect(await storedFor(results.map((r) => String(r.body.id)))).toEqual({
        payments: 10,
        initiatedHistory: 10,
        initiatedEvents: 10,
      });
      const { rows } = await api.sql.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [badKey]);
      expect(rows).toHaveLength(0);
    });

    it('answers 409 while the key is held by a request in flight, and creates the payment once it is released', async () => {
      const key = randomUUID();
      // Another session holding the key's lock is what an in-flight first request looks like.
      await api.sql.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      const before = await countRows(api.sql);
      const busy = await post(body({ amount: '4.00' }), key);
      expect(busy.status).toBe(409);
      expect(busy.body).toMatchObject({ type: `${PROBLEM}idempotency-key-in-flight` });
      expect(await countRows(api.sql)).toEqual(before);
      await api.sql.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      const free = await post(body({ amount: '4.00' }), key);
      expect(free.status).toBe(201);
      expect(free.headers.get('idempotent-replayed')).toBeNull();
    });

    it('stores nothing for a request that fails validation, so the same key works once the body is fixed', async () => {
      const key = randomUUID();
      const before = await countRows(api.sql);
      const bad = await post(body({ amount: '1.001' }), key);
      expect(bad.status).toBe(400);
      expect(await countRows(api.sql)).toEqual(before);
      const good = await post(body(), key);
      expect(good.status).toBe(201);
      expect(good.headers.get('idempotent-replayed')).toBeNull();
    });

    it('forgets keys past their retention when the purge runs, and then accepts the key as new', async () => {
      const key = randomUUID();
      const first = await post(body({ amount: '7.00' }), key);
      await api.sql.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`, [key]);
      // Expired but not purged yet: no longer replayed, the key is taken as new.
      const second = await post(body({ amount: '8.00' }), key);
      expect(second.status).toBe(201);
      expect(second.body.id).not.toBe(first.body.id);
      await api.sql.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`, [key]);
      const { IdempotencyPurger } = await import('../../apps/payment/src/submit-payment/idempotency-purger');
      expect(await api.app.get(IdempotencyPurger).purgeNow()).toBeGreaterThanOrEqual(1);
      const { rows } = await api.sql.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key]);
      expect(rows).toHaveLength(0);
      const third = await post(body({ amount: '9.00' }), key);
      expect(third.status).toBe(201);
      expect(third.headers.get('idempotent-replayed')).toBeNull();
    });

    it('keeps keys for the configured retention (24 h by default)', async () => {
      const key = randomUUID();
      await post(body(), key);
      const { rows } = await api.sql.query<{ hours: string }>(
        `SELECT round(extract(epoch FROM expires_at - created_at) / 3600) AS hours FROM idempotency_keys WHERE key = $1`,
        [key],
      );
      expect(Number(rows[0].hours)).toBe(24);
    });

    const big = JSON.stringify(body({ metadata: { a: 'x'.repeat(70 * 1024) } }));
    const cases: {
      name: string;
      send: () => Promise<Sent>;
      status: number;
      type: string;
      field?: string;
    }[] = [
      {
        name: 'no Idempotency-Key',
        send: () => post(body(), null),
        status: 400,
        type: 'validation-error',
        field: 'Idempotency-Key',
      },
      {
        name: 'an empty Idempotency-Key',
        send: () => post(body(), ''),
        status: 400,
        type: 'validation-error',
        field: 'Idempotency-Key',
      },
      {
        name: 'an Idempotency-Key of 256 characters',
        send: () => post(body(), 'k'.repeat(256)),
        status: 400,
        type: 'validation-error',
        field: 'Idempotency-Key',
      },
      {
        name: 'an amount with too many decimals',
        send: () => post(body({ amount: '10.123' })),
        status: 400,
        type: 'validation-error',
        field: 'amount',
      },
      {
        name: 'decimals on a JPY amount',
        send: () => post(body({ amount: '10.5', currency: 'JPY' })),
        status: 400,
        type: 'validation-error',
        field: 'amount',
      },
      {
        name: 'a numeric amount',
        send: () => post(body({ amount: 10.5 })),
        status: 400,
        type: 'validation-error',
        field: 'amount',
      },
      {
        name: 'a zero amount',
        send: () => post(body({ amount: '0' })),
        status: 400,
        type: 'validation-error',
        field: 'amount',
      },
      {
        name: 'a negative amount',
        send: () => post(body({ amount: '-5.00' })),
        status: 400,
        type: 'validation-error',
        field: 'amount',
      },
      {
        name: 'an amount above the maximum',
        send: () => post(body({ amount: '1000000000.01' })),
        status: 400,
        type: 'validation-error',
        field: 'amount',
      },
      {
        name: 'a NUL character in the reference (PostgreSQL text cannot hold it)',
        send: () => post(body({ reference: 'a\u0000b' })),
        status: 400,
        type: 'validation-error',
        field: 'reference',
      },
      {
        name: 'an unknown currency',
        send: () => post(body({ currency: 'ABC' })),
        status: 400,
        type: 'validation-error',
        field: 'currency',
      },
      {
        name: 'debtor equal to creditor',
        send: () => post(body({ creditorAccountId: 'acc-alice' })),
        status: 400,
        type: 'validation-error',
        field: 'creditorAccountId',
      },
      {
        name: 'a malformed account id',
        send: () => post(body({ debtorAccountId: 'acc alice' })),
        status: 400,
        type: 'validation-error',
        field: 'debtorAccountId',
      },
      {
        name: 'a missing amount',
        send: () => post(body({ amount: undefined })),
        status: 400,
        type: 'validation-error',
        field: 'amount',
      },
      {
        name: 'an unknown field',
        send: () => post(body({ fee: '1.00' })),
        status: 400,
        type: 'validation-error',
        field: 'fee',
      },
      {
        name: 'a reference over 140 characters',
        send: () => post(body({ reference: 'r'.repeat(141) })),
        status: 400,
        type: 'validation-error',
        field: 'reference',
      },
      {
        name: 'metadata nested three deep',
        send: () => post(body({ metadata: { a: { b: { c: 1 } } } })),
        status: 400,
        type: 'validation-error',
        field: 'metadata',
      },
      {
        name: 'metadata with 21 keys',
        send: () => post(body({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) })),
        status: 400,
        type: 'validation-error',
        field: 'metadata',
      },
      { name: 'a JSON array body', send: () => post([body()]), status: 400, type: 'validation-error', field: '(body)' },
      { name: 'malformed JSON', send: () => post('{"amount": "1.00",'), status: 400, type: 'malformed-json' },
      {
        name: 'a text/plain body',
        send: () => post(JSON.stringify(body()), randomUUID(), { 'content-type': 'text/plain' }),
        status: 415,
        type: 'unsupported-media-type',
      },
      {
        name: 'a form body',
        send: () => post('amount=1', randomUUID(), { 'content-type': 'application/x-www-form-urlencoded' }),
        status: 415,
        type: 'unsupported-media-type',
      },
      { name: 'a body over 64 KiB', send: () => post(big), status: 413, type: 'payload-too-large' },
    ];

    it.each(cases)('refuses $name with $status $type and stores nothing', async ({ send, status, type, field }) => {
      const before = await countRows(api.sql);
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: PROBLEM + type, status });
      if (field) {
        expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
        expect(String(res.body.detail)).toContain(field);
      }
      expect(await countRows(api.sql)).toEqual(before);
    });
  });

  describe('GET /v1/payments', () => {
    it('returns one payment with its status history, and 404 problems for unknown or malformed ids', async () => {
      const created = await post(body({ amount: '3.00' }));
      const found = await get(`/v1/payments/${String(created.body.id)}`);
      expect(found.status).toBe(200);
      expect(found.body).toEqual(created.body);
      for (const id of [randomUUID(), 'not-a-uuid']) {
        const missing = await get(`/v1/payments/${id}`);
        expect(missing.status).toBe(404);
        expect(missing.body).toMatchObject({ type: `${PROBLEM}payment-not-found` });
      }
    });

    it('lists payments of an account newest first, page by page with an opaque cursor', async () => {
      const account = `acc-${randomUUID().slice(0, 8)}`;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await post(
          i % 2 === 0
            ? body({ debtorAccountId: account, amount: `${i + 1}.00` })
            : body({ creditorAccountId: account, amount: `${i + 1}.00` }),
        );
        ids.push(String(res.body.id));
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await get(
          `/v1/payments?accountId=${account}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.status).toBe(200);
        const items = page.body.items as { id: string; statusHistory?: unknown }[];
        expect(items.length).toBeLessThanOrEqual(2);
        seen.push(...items.map((p) => p.id));
        cursor = page.body.nextCursor as string | null;
        pages++;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      expect(pages).toBe(3);
      const pending = await get(`/v1/payments?accountId=${account}&status=PENDING&limit=10`);
      expect((pending.body.items as unknown[]).length).toBe(5);
      const settled = await get(`/v1/payments?accountId=${account}&status=SETTLED`);
      expect(settled.body).toEqual({ items: [], nextCursor: null });
    });

    it.each([
      ['an unknown query parameter', '?foo=1', 'foo'],
      ['an unknown status', '?status=DONE', 'status'],
      ['a limit of 0', '?limit=0', 'limit'],
      ['a limit above the maximum', '?limit=1001', 'limit'],
      ['a cursor that is not ours', '?cursor=abc', 'cursor'],
    ])('refuses %s with a validation problem naming it', async (_name, query, field) => {
      const res = await get(`/v1/payments${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: `${PROBLEM}validation-error` });
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    });
  });

  it('serves its OpenAPI document with the payment routes', async () => {
    const doc = await get('/docs-json');
    expect(doc.status).toBe(200);
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/v1/payments', '/v1/payments/{id}']));
    expect(paths['/v1/payments']).toHaveProperty('post');
    expect(paths['/v1/payments']).toHaveProperty('get');
  });
});
