/**
 * An outbox relay process for the crash tests. With KILL_AFTER_PUBLISH=1 it kills itself with
 * SIGKILL right after its first sendBatch succeeded and before the rows are marked sent.
 */
import { OutboxRelay, SchemaRegistryCodec } from '@paystream/messaging';
import { TEST_BROKERS, TEST_REGISTRY_URL } from '@paystream/testing';
import { logLevel } from 'kafkajs';
import { openDataSource } from './messaging-fixtures';

async function main(): Promise<void> {
  const database = process.env.DATABASE;
  if (!database) throw new Error('DATABASE is required');
  const dataSource = openDataSource(database, 2);
  await dataSource.initialize();
  const codec = await SchemaRegistryCodec.create({ url: TEST_REGISTRY_URL });
  const relay = new OutboxRelay({
    dataSource,
    codec,
    kafkaConfig: { clientId: `relay-child-${process.pid}`, brokers: TEST_BROKERS, logLevel: logLevel.NOTHING },
    pollIntervalMs: 300,
    standbyIntervalMs: 200,
    hooks: {
      afterPublish: (ids) => {
        process.stdout.write(`published ${ids.length}\n`);
        if (process.env.KILL_AFTER_PUBLISH === '1') process.kill(process.pid, 'SIGKILL');
      },
    },
  });
  process.once('SIGTERM', () => {
    void relay
      .stop()
      .then(() => dataSource.destroy())
      .then(() => process.exit(0));
  });
  await relay.start();
  process.stdout.write('started\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`relay child failed: ${String(err)}\n`);
  process.exit(1);
});
