import { createHash } from 'node:crypto';

/**
 * One record of the audit trail and its place in the hash chain. Pure: no database, no Kafka.
 *
 * hash = SHA-256(canonicalJson(record without its hashes) + previousHash), hex. The first record's
 * previousHash is GENESIS_HASH. Changing any field of any record, removing a record or reordering
 * two breaks the chain from that record on, which verifyChain reports.
 */
export interface AuditEntry {
  sequence: number;
  eventId: string;
  type: string;
  topic: string;
  partition: number;
  offset: string;
  paymentId: string;
  debtorAccountId: string | null;
  creditorAccountId: string | null;
  occurredAt: string;
  recordedAt: string;
  event: unknown;
}

export interface AuditRecord extends AuditEntry {
  previousHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives the
 * same bytes, whatever key order PostgreSQL's jsonb or a decoder returned it in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return JSON.stringify(value.toString());
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('canonicalJson: non-finite number');
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function chainHash(entry: AuditEntry, previousHash: string): string {
  const hashed: AuditEntry = {
    sequence: entry.sequence,
    eventId: entry.eventId,
    type: entry.type,
    topic: entry.topic,
    partition: entry.partition,
    offset: entry.offset,
    paymentId: entry.paymentId,
    debtorAccountId: entry.debtorAccountId,
    creditorAccountId: entry.creditorAccountId,
    occurredAt: entry.occurredAt,
    recordedAt: entry.recordedAt,
    event: entry.event,
  };
  return createHash('sha256')
    .update(canonicalJson(hashed) + previousHash)
    .digest('hex');
}

/** Links `entry` after the chain head (sequence, hash). */
export function appendToChain(head: ChainHead, entry: Omit<AuditEntry, 'sequence'>): AuditRecord {
  const withSequence: AuditEntry = { ...entry, sequence: head.sequence + 1 };
  return { ...withSequence, previousHash: head.hash, hash: chainHash(withSequence, head.hash) };
}

export interface ChainHead {
  sequence: number;
  hash: string;
}

export type BreakReason = 'SEQUENCE_GAP' | 'PREVIOUS_HASH_MISMATCH' | 'HASH_MISMATCH' | 'HEAD_MISMATCH';

export interface ChainBreak {
  sequence: number;
  eventId: string | null;
  reason: BreakReason;
  detail: string;
}

/**
 * Walks the chain in sequence order, one record at a time (records come in pages from the
 * database). `check` returns the first break, or undefined while the chain holds.
 */
export class ChainVerifier {
  private expected: ChainHead = { sequence: 0, hash: GENESIS_HASH };
  private broken?: ChainBreak;
  count = 0;

  check(record: AuditRecord): ChainBreak | undefined {
    if (this.broken) return this.broken;
    this.count++;
    const next = this.expected.sequence + 1;
    if (record.sequence !== next) {
      return this.fail(record, 'SEQUENCE_GAP', `expected sequence ${next}, found ${record.sequence}`);
    }
    if (record.previousHash !== this.expected.hash) {
      return this.fail(
        record,
        'PREVIOUS_HASH_MISMATCH',
        `previousHash is not the hash of record ${this.expected.sequence}`,
      );
    }
    const recomputed = chainHash(record, record.previousHash);
    if (recomputed !== record.hash) {
      return this.fail(record, 'HASH_MISMATCH', 'the record does not hash to its stored hash: its content was altered');
    }
    this.expected = { sequence: record.sequence, hash: record.hash };
    return undefined;
  }

  /** After the last record: the stored chain head must point at it (else records were cut off the end). */
  finish(head: ChainHead): ChainBreak | undefined {
    if (this.broken) return this.broken;
    if (head.sequence !== this.expected.sequence || head.hash !== this.expected.hash) {
      this.broken = {
        sequence: this.expected.sequence + 1,
        eventId: null,
        reason: 'HEAD_MISMATCH',
        detail: `the chain head is at ${head.sequence} but the records end at ${this.expected.sequence}`,
      };
    }
    return this.broken;
  }

  private fail(record: AuditRecord, reason: BreakReason, detail: string): ChainBreak {
    this.broken = { sequence: record.sequence, eventId: record.eventId, reason, detail };
    return this.broken;
  }
}
