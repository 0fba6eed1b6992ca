import { createServer } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { runService } from '@paystream/platform';
import { ContractTopics, TestDatabase, contractTopicEnv, createTestDatabase, uniqueName } from '@paystream/testing';
import { Client } from 'pg';
// The payment suites start the app in this process, exactly as its main.ts does.
// eslint-disable-next-line no-restricted-imports
import { paymentService } from '../../apps/payment/src/payment.service-definition';

/** A free TCP port on 127.0.0.1 (the OS picks it; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PaymentApiHarness {
  url(path: string): string;
  app: NestFastifyApplication;
  db: TestDatabase;
  sql: Client;
  group: string;
  /** Stops the app; drops the database unless it is kept for a restart. */
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

/**
 * The payment service in this process (runService, exactly as main.ts starts it) on the test's own
 * topics (never the contract topics, which `npm start` and the benchmarks use on the same broker),
 * its own test database and consumer group, with a pg client on that database for assertions.
 */
export async function startPaymentApi(
  topics: ContractTopics,
  env: Record<string, string> = {},
  reuse?: { db: TestDatabase; group: string },
): Promise<PaymentApiHarness> {
  const db = reuse?.db ?? (await createTestDatabase('payment'));
  const port = await freePort();
  const group = reuse?.group ?? uniqueName('payment_test');
  const saved = { ...process.env };
  Object.assign(process.env, {
    DATABASE_URL: db.serverUrl,
    DATABASE_NAME: db.name,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    PAYMENT_CONSUMER_GROUP: group,
    PAYMENT_CONSUMER_FROM_BEGINNING: 'false',
    ...contractTopicEnv(topics),
    ...env,
  });
  let app: NestFastifyApplication;
  try {
    app = await runService(paymentService);
  } catch (err) {
    if (!reuse) await db.drop();
    throw err;
  } finally {
    process.env = saved;
  }
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    app,
    db,
    sql,
    group,
    async close({ keepDatabase = false } = {}) {
      await sql.end();
      await app.close();
      if (!keepDatabase) await db.drop();
    },
  };
}

/** Rows in the payment tables and the outbox: what "nothing stored" is checked against. */
export async function countRows(sql: Client): Promise<Record<string, number>> {
  const { rows } = await sql.query<{ payments: string; history: string; keys: string; outbox: string }>(
    `SELECT (SELECT count(*) FROM payments) AS payments,
            (SELECT count(*) FROM payment_status_history) AS history,
            (SELECT count(*) FROM idempotency_keys) AS keys,
            (SELECT count(*) FROM messaging_outbox) AS outbox`,
  );
  const r = rows[0];
  return { payments: Number(r.payments), history: Number(r.history), keys: Number(r.keys), outbox: Number(r.outbox) };
}
