import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { testKafka, waitFor } from '@paystream/testing';

const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function kafkaLibs(): string {
  const stack = path.join(ROOT, '.cache/stack');
  const dir = readdirSync(stack).find((d) => d.startsWith('kafka-'));
  if (!dir) throw new Error(`no Kafka jars under ${stack} (run npm run stack:fetch)`);
  return path.join(stack, dir, 'libs');
}

/**
 * A single-node KRaft broker of the test's own, on free ports and in a temporary directory, so a
 * test can stop and restart "the broker" without touching the shared one everybody else uses.
 * Same jars as infra/stack.sh.
 */
export class PrivateBroker {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'paystream-broker-'));
  private readonly libs = kafkaLibs();
  port = 0;
  private controllerPort = 0;

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  async start(): Promise<void> {
    if (!this.port) {
      this.port = await freePort();
      this.controllerPort = await freePort();
      this.configure();
    }
    this.child = spawn(
      'java',
      [
        '-Xms64m',
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        `-Dlog4j2.configurationFile=${path.join(this.dir, 'log4j2.properties')}`,
        '-cp',
        `${this.libs}/*`,
        'kafka.Kafka',
        path.join(this.dir, 'server.properties'),
      ],
      { stdio: 'ignore' },
    );
    const admin = testKafka('private-broker-probe', this.brokers).admin();
    await waitFor(
      `private broker on ${this.port}`,
      async () => {
        await admin.connect();
        try {
          await admin.describeCluster();
          return true;
        } finally {
          await admin.disconnect();
        }
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  }

  /** kill -9: the broker vanishes without a controlled shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private configure(): void {
    const data = path.join(this.dir, 'data');
    mkdirSync(data);
    writeFileSync(
      path.join(this.dir, 'server.properties'),
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${this.controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${this.port}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        `log.dirs=${data}`,
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=3',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'transaction.state.log.num.partitions=3',
        'auto.create.topics.enable=false',
        'group.initial.rebalance.delay.ms=0',
        'num.network.threads=1',
        'num.io.threads=2',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(this.dir, 'log4j2.properties'),
      [
        'status = warn',
        'rootLogger.level = WARN',
        'rootLogger.appenderRef.null.ref = null',
        'appender.null.type = Null',
        'appender.null.name = null',
        '',
      ].join('\n'),
    );
    // A cluster id as `StorageTool random-uuid` makes one (16 random bytes, base64url, never starting
    // with '-'), without the start of one more JVM.
    let id = randomBytes(16).toString('base64url');
    while (id.startsWith('-')) id = randomBytes(16).toString('base64url');
    const format = spawnSync(
      'java',
      [
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        `-Dlog4j2.configurationFile=${path.join(this.dir, 'log4j2.properties')}`,
        '-cp',
        `${this.libs}/*`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        id,
        '-c',
        path.join(this.dir, 'server.properties'),
      ],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) throw new Error(`formatting the private broker failed: ${format.stderr}${format.stdout}`);
  }
}
