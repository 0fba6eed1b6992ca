/**
 * One member of a rebuild's replay group, run in a worker thread (rebuild.ts starts one per
 * member). Kafka's record decoding and the replay's own work take a thread's whole core, so a
 * replay with one member leaves the machine's other cores to PostgreSQL alone; each member reads
 * its share of the partitions in its own thread and writes through its own connections.
 *
 * The member reports to the thread that started it (MemberReport) and stops when told to: that
 * thread took the end offsets once for all members and knows when every partition reached them.
 */
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import type { PaymentEvent } from '@paystream/contracts';
import {
  ExactlyOnceConsumer,
  PartitionEnd,
  SchemaRegistryCodec,
  completeGroupAssigner,
  kafkaClientConfig,
} from '@paystream/messaging';
import { Metrics } from '@paystream/observability';
import { logCreator } from 'kafkajs';
import type { LedgerConfig } from '../config';
import { openDatabase } from './rebuild-database';
import { AUTHORIZATION_TIME_TYPES, AuthorizationTimes, REBUILD_EVENT_TYPES, RebuildApplier } from './rebuild.applier';
import { ReplayClock } from './replay-clock';

export interface ReplayMemberData {
  config: LedgerConfig;
  database: string;
  group: string;
  topic: string;
  /** How many members the group waits for before any partition is assigned. */
  members: number;
  /** 'replay' books the recorded facts; 'times' looks up the authorization times of `untimed`. */
  pass: 'replay' | 'times';
  asOfMillis?: number;
  untimed?: string[];
  endOffsets: PartitionEnd[];
  batchSize: number;
  partitionsConcurrently: number;
  fetchBytesPerPartition: number;
  pipelineFetches: boolean;
}

export type MemberReport =
  /** This member's partitions of the topic after a (re)assignment; none while the group is incomplete. */
  | { kind: 'assigned'; partitions: number[] }
  /** Records this member fetched so far, the ones passed over by type included. */
  | { kind: 'consumed'; count: number }
  | { kind: 'reached'; partition: number }
  /** Times pass: every payment asked for has its authorization time. */
  | { kind: 'found' }
  /** After stopping: the payments booked without a time (replay) or the times found (times). */
  | { kind: 'done'; untimed: string[]; times: Array<[string, number]> };

export type MemberCommand = { kind: 'stop' };

/**
 * kafkajs' own log lines (JSON on stderr, as its default logger writes them), less the notices of
 * a group joining in stages: each member that joins makes the broker answer the members already
 * in with "the group is rebalancing", which kafkajs logs as an error although it only rejoins.
 */
const quietStagedJoin: logCreator =
  () =>
  ({ namespace, label, log }) => {
    if (/group is rebalancing/i.test(log.message) || /group is rebalancing/i.test(String(log.error ?? ''))) return;
    process.stderr.write(JSON.stringify({ level: label, ...log, message: `[${namespace}] ${log.message}` }) + '\n');
  };

/**
 * The group's session timeout: its heartbeat (a tenth) is how soon a member waiting with no
 * partitions learns that the last member joined.
 */
const SESSION_TIMEOUT_MS = 10_000;

async function runMember(data: ReplayMemberData, port: NonNullable<typeof parentPort>): Promise<void> {
  const post = (report: MemberReport) => port.postMessage(report);
  const stopRequested = new Promise<void>((resolve) =>
    port.on('message', (command: MemberCommand) => {
      if (command.kind === 'stop') resolve();
    }),
  );
  const target = openDatabase(data.config, data.database, data.partitionsConcurrently + 2);
  await target.initialize();
  const codec = await SchemaRegistryCodec.create({
    url: data.config.SCHEMA_REGISTRY_URL,
    username: data.config.SCHEMA_REGISTRY_USERNAME,
    password: data.config.SCHEMA_REGISTRY_PASSWORD,
  });
  const applier = new RebuildApplier(data.asOfMillis === undefined ? undefined : new Date(data.asOfMillis));
  const times = new AuthorizationTimes(new Set(data.untimed ?? []));
  const clock = new ReplayClock(new Metrics('ledger-rebuild'), data.group, data.topic, (count) =>
    post({ kind: 'consumed', count }),
  );
  const consumer = new ExactlyOnceConsumer({
    dataSource: target,
    kafkaConfig: { ...kafkaClientConfig(data.config, '-rebuild'), logCreator: quietStagedJoin },
    codec,
    group: data.group,
    topics: [data.topic],
    acceptTypes: data.pass === 'replay' ? REBUILD_EVENT_TYPES : AUTHORIZATION_TIME_TYPES,
    handler:
      data.pass === 'replay'
        ? (event, ctx) => applier.apply(event as PaymentEvent, ctx)
        : (event) => times.apply(event as PaymentEvent),
    // No dedupe rows: the rebuild database is fresh and never resumed, records below the stored
    // offset are never applied twice, and what a re-sent copy (same eventId, same payment) writes
    // is idempotent per payment: ON CONFLICT DO NOTHING on the entry id, the payment's entry,
    // outcome and refusal. The live group after --swap never reads them either (it dedupes under
    // its own group name).
    dedupe: false,
    metrics: clock.metrics,
    fromBeginning: true,
    stopAtEndOffsets: true,
    endOffsets: data.endOffsets,
    onEndReached: (_topic, partition) => post({ kind: 'reached', partition }),
    partitionAssigners: [completeGroupAssigner(data.members)],
    onAssigned: (assignment) => post({ kind: 'assigned', partitions: [...(assignment[data.topic] ?? [])] }),
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    maxBatchSize: data.batchSize,
    partitionsConsumedConcurrently: data.partitionsConcurrently,
    maxBytesPerPartition: data.fetchBytesPerPartition,
    // kafkajs fetches the next batches while these are written (libs/messaging README).
    pipelineFetches: data.pipelineFetches,
  });
  // The look-up pass may end before the end offsets: the part of the topic written since the
  // upgrade to schema v2 holds none of the authorizations it looks for.
  if (data.pass === 'times') void times.found.then(() => post({ kind: 'found' }));
  clock.start();
  try {
    await consumer.start();
    await stopRequested;
  } finally {
    await consumer.stop();
    await clock.stop();
    await target.destroy();
  }
  post({
    kind: 'done',
    untimed: [...applier.untimed],
    times: [...times.times].map(([payment, at]) => [payment, at.getTime()]),
  });
  port.close();
}

if (parentPort) {
  const port = parentPort;
  runMember(workerData as ReplayMemberData, port).catch((err: unknown) => {
    // Rethrown outside the promise: the worker's 'error' event carries it to the rebuild.
    setImmediate(() => {
      throw err;
    });
  });
}
