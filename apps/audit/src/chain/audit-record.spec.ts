import {
  appendToChain,
  AuditEntry,
  AuditRecord,
  canonicalJson,
  ChainHead,
  ChainVerifier,
  chainHash,
  GENESIS_HASH,
} from './audit-record';

function entry(n: number): Omit<AuditEntry, 'sequence'> {
  return {
    eventId: `evt-${n}`,
    type: 'payment.initiated',
    topic: 'payment-events',
    partition: 0,
    offset: String(n),
    paymentId: `pay-${n}`,
    debtorAccountId: 'acc-1',
    creditorAccountId: 'acc-2',
    occurredAt: '2026-01-01T00:00:00.000Z',
    recordedAt: '2026-01-01T00:00:01.000Z',
    event: { eventId: `evt-${n}`, data: { amount: '10.00', currency: 'EUR' } },
  };
}

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let head: ChainHead = { sequence: 0, hash: GENESIS_HASH };
  for (let i = 1; i <= n; i++) {
    const record = appendToChain(head, entry(i));
    out.push(record);
    head = { sequence: record.sequence, hash: record.hash };
  }
  return out;
}

function verify(records: AuditRecord[], head?: ChainHead) {
  const v = new ChainVerifier();
  for (const r of records) v.check(r);
  const last = records[records.length - 1];
  return v.finish(head ?? { sequence: last?.sequence ?? 0, hash: last?.hash ?? GENESIS_HASH });
}

describe(canonicalJson.name, () => {
  it('sorts keys at every level and drops whitespace, so key order never changes the bytes', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(canonicalJson({ a: { c: null, d: [1, 'x'] }, b: 1 })).toBe(
      canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } }),
    );
  });
});

describe(ChainVerifier.name, () => {
  it('accepts an untouched chain and an empty one', () => {
    expect(verify(chain(5))).toBeUndefined();
    expect(verify([])).toBeUndefined();
  });

  it('chains each record to the previous hash, starting at the genesis hash', () => {
    const [first, second] = chain(2);
    expect(first.previousHash).toBe(GENESIS_HASH);
    expect(second.previousHash).toBe(first.hash);
    expect(first.hash).toBe(chainHash(first, GENESIS_HASH));
  });

  it('names the record whose content was altered', () => {
    const records = chain(5);
    records[2] = { ...records[2], event: { eventId: 'evt-3', data: { amount: '99999.00', currency: 'EUR' } } };
    expect(verify(records)).toMatchObject({ sequence: 3, eventId: 'evt-3', reason: 'HASH_MISMATCH' });
  });

  it('names the next record when an altered record was also given a recomputed hash', () => {
    const records = chain(5);
    const forged = { ...records[2], debtorAccountId: 'acc-evil' };
    records[2] = { ...forged, hash: chainHash(forged, forged.previousHash) };
    expect(verify(records)).toMatchObject({ sequence: 4, eventId: 'evt-4', reason: 'PREVIOUS_HASH_MISMATCH' });
  });

  it('names the record after a removed one', () => {
    const records = chain(5);
    records.splice(1, 1);
    expect(verify(records)).toMatchObject({ sequence: 3, reason: 'SEQUENCE_GAP' });
  });

  it('detects records cut off the end through the chain head', () => {
    const records = chain(5);
    expect(verify(records.slice(0, 3), { sequence: 5, hash: records[4].hash })).toMatchObject({
      sequence: 4,
      eventId: null,
      reason: 'HEAD_MISMATCH',
    });
  });
});
