import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MemberCommand, MemberReport, ReplayMemberData } from './replay-member';

export interface ReplayGroupResult {
  /** When the last partition was assigned: every member can read from here on. */
  assignedAt: number;
  /** When the last partition reached its end offset. */
  finishedAt: number;
  /** Replay pass: payments booked without a time, from every member. */
  untimed: Set<string>;
  /** Times pass: the authorization times found, from every member. */
  times: Map<string, Date>;
}

/**
 * Runs one pass of the replay with `data.members` members, each in its own worker thread
 * (replay-member.ts), and stops them all once every partition of `data.endOffsets` reached its
 * end (or, in the times pass, once a member found every time). Progress is the sum of the records
 * the members fetched; `onAssigned` is called once every partition has a member. A member that fails fails the pass: the others are terminated, and the
 * rebuild database is left unfinished (a rebuild is never resumed).
 */
export function runReplayGroup(
  data: ReplayMemberData,
  onProgress?: (consumed: number) => void,
  onAssigned?: () => void,
): Promise<ReplayGroupResult> {
  const remaining = new Set(data.endOffsets.map((e) => e.partition));
  const expected = [...remaining];
  const script = path.join(__dirname, 'replay-member.js');
  const workers = Array.from({ length: data.members }, () => new Worker(script, { workerData: data }));
  const assigned = workers.map((): number[] => []);
  const consumed = workers.map(() => 0);
  const done = workers.map(() => false);
  const result: ReplayGroupResult = { assignedAt: 0, finishedAt: 0, untimed: new Set(), times: new Map() };
  let settled = false;

  return new Promise<ReplayGroupResult>((resolve, reject) => {
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      for (const worker of workers) void worker.terminate();
      reject(err);
    };
    const stopAll = () => {
      if (result.finishedAt) return;
      result.finishedAt = Date.now();
      result.assignedAt ||= result.finishedAt;
      for (const worker of workers) worker.postMessage({ kind: 'stop' } satisfies MemberCommand);
    };
    const onReport = (member: number, report: MemberReport) => {
      switch (report.kind) {
        case 'assigned':
          assigned[member] = report.partitions;
          if (!result.assignedAt && expected.every((p) => assigned.some((ps) => ps.includes(p)))) {
            result.assignedAt = Date.now();
            onAssigned?.();
          }
          break;
        case 'consumed':
          consumed[member] = report.count;
          onProgress?.(consumed.reduce((sum, n) => sum + n, 0));
          break;
        case 'reached':
          remaining.delete(report.partition);
          if (remaining.size === 0) stopAll();
          break;
        case 'found':
          stopAll();
          break;
        case 'done':
          done[member] = true;
          for (const payment of report.untimed) result.untimed.add(payment);
          for (const [payment, at] of report.times) result.times.set(payment, new Date(at));
          if (done.every(Boolean) && !settled) {
            settled = true;
            resolve(result);
            // Each has stopped its consumer and closed its port; none may linger on a timer.
            for (const worker of workers) void worker.terminate();
          }
          break;
      }
    };
    workers.forEach((worker, member) => {
      worker.on('message', (report: MemberReport) => onReport(member, report));
      worker.on('error', (err) => fail(new Error(`replay member ${member + 1} failed: ${err.stack ?? err.message}`)));
      worker.on('exit', (code) => {
        if (!done[member]) fail(new Error(`replay member ${member + 1} exited (code ${code}) before it finished`));
      });
    });
    if (remaining.size === 0) stopAll();
  });
}
