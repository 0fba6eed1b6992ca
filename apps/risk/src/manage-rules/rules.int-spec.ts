import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestDatabase, TestDatabase } from '@paystream/testing';
import { createRiskTestApp } from '../testing/risk-test-app';

describe('risk rules API', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    db = await createTestDatabase('risk_rules');
    app = await createRiskTestApp(db, { RISK_AMOUNT_LIMIT: '7500.00' });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('serves version 1 with the default rules of a fresh install, the amount limit from RISK_AMOUNT_LIMIT', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/risk/rules' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      version: 1,
      changedAt: expect.any(String),
      rules: {
        amountLimit: { default: '7500.00', perCurrency: {} },
        velocity: { windowSeconds: 600, maxCount: 20, maxAmount: '50000.00' },
        blockedAccounts: [],
        newAccount: { firstPayments: 3, limit: '1000.00' },
      },
    });
  });

  it('refuses an invalid document with a problem naming each offending field, and keeps the version', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/risk/rules',
      payload: {
        amountLimit: { default: '-5', perCurrency: {} },
        velocity: { windowSeconds: 600, maxCount: 0, maxAmount: '50000.00' },
        blockedAccounts: [],
        newAccount: { firstPayments: 3, limit: '1000.00' },
        surprise: 1,
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const fields = (res.json().errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['amountLimit.default', 'surprise', 'velocity.maxCount']);
    expect((await app.inject({ method: 'GET', url: '/v1/risk/rules' })).json().version).toBe(1);
  });

  it('records every change as a new version with its time and the previous → new rules', async () => {
    const before = (await app.inject({ method: 'GET', url: '/v1/risk/rules' })).json().rules;
    const next = { ...before, blockedAccounts: ['acc-stolen'] };
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/risk/rules',
      payload: next,
      headers: { 'x-correlation-id': 'ops-42' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      version: 2,
      previousVersion: 1,
      previous: before,
      rules: next,
      correlationId: 'ops-42',
    });

    const third = { ...next, amountLimit: { default: '5000.00', perCurrency: { JPY: '800000' } } };
    expect((await app.inject({ method: 'PUT', url: '/v1/risk/rules', payload: third })).json().version).toBe(3);

    const current = (await app.inject({ method: 'GET', url: '/v1/risk/rules' })).json();
    expect(current).toMatchObject({ version: 3, rules: third });

    const history = (await app.inject({ method: 'GET', url: '/v1/risk/rules/history?limit=10' })).json<{
      items: { version: number; changedAt: string }[];
    }>().items;
    expect(history.map((h) => h.version)).toEqual([3, 2, 1]);
    expect(history[0]).toMatchObject({ previous: next, rules: third });
    expect(history[1]).toMatchObject({ previous: before, rules: next });
    expect(history[2]).toMatchObject({ previous: null, previousVersion: null });
    expect(new Date(history[0].changedAt).getTime()).toBeGreaterThanOrEqual(new Date(history[1].changedAt).getTime());
  });

  it('gives concurrent changes consecutive versions, each chained to its predecessor', async () => {
    const base = (await app.inject({ method: 'GET', url: '/v1/risk/rules' })).json();
    const puts = await Promise.all(
      ['a', 'b', 'c', 'd'].map((acc) =>
        app.inject({ method: 'PUT', url: '/v1/risk/rules', payload: { ...base.rules, blockedAccounts: [acc] } }),
      ),
    );
    const versions = puts.map((p) => p.json().version as number).sort((x, y) => x - y);
    expect(versions).toEqual([base.version + 1, base.version + 2, base.version + 3, base.version + 4]);
    const history = (await app.inject({ method: 'GET', url: '/v1/risk/rules/history?limit=5' })).json().items;
    for (let i = 0; i < 4; i++) expect(history[i].previous).toEqual(history[i + 1].rules);
  });

  it('answers 404 problem for a payment without a decision', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/risk/decisions/01930000-0000-7000-8000-000000000000' });
    expect(res.statusCode).toBe(404);
    expect(res.json().type).toBe('https://paystream.dev/problems/risk-decision-not-found');
  });

  it('documents the rules and decisions routes with their schemas in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json<{
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
      >;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(Object.keys(doc.paths['/v1/risk/rules']).sort()).toEqual(['get', 'put']);
    expect(doc.paths['/v1/risk/rules'].get.responses['200'].content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RuleVersionDto',
    });
    expect(doc.paths['/v1/risk/decisions/{paymentId}'].get.responses['404']).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['RiskRulesDto', 'RiskDecisionDto']));
  });
});
