import type { PaymentEvent } from '@paystream/contracts';
import { SchemaRegistryCodec } from '@paystream/messaging';
import { fromMinor } from '@paystream/money';
import { Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be replayed by seed. */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulatedPayment {
  paymentId: string;
  debtorAccountId: string;
  currency: string;
  minor: bigint;
  outcome: 'REJECTED' | 'SETTLED' | 'FAILED';
  initiatedAt: number;
  /** initiated → settled, when settled. */
  settleLatencyMs?: number;
  events: PaymentEvent[];
}

/**
 * The events payment, risk and ledger would write for `count` payments: initiated, then
 * authorized or rejected, then settled or failed, with increasing timestamps per payment.
 */
export function simulatePayments(
  count: number,
  rnd: () => number,
  options: { currencies?: string[]; accounts?: number; start?: number } = {},
): SimulatedPayment[] {
  const currencies = options.currencies ?? ['EUR', 'USD'];
  const accounts = options.accounts ?? 6;
  const start = options.start ?? Date.now() - 10 * 60_000;
  return Array.from({ length: count }, (_, i) => {
    const currency = currencies[i % currencies.length];
    const minor = BigInt(1 + Math.floor(rnd() * 2_000_000)); // up to 20 000.00
    const amount = fromMinor(minor, currency);
    const debtorAccountId = `acc-${currency.toLowerCase()}-${Math.floor(rnd() * accounts)}`;
    const terms = { debtorAccountId, creditorAccountId: 'acc-merchant', amount, currency };
    const paymentId = uuidv7();
    const initiatedAt = start + Math.floor(rnd() * 5 * 60_000);
    const envelope = (version: number, at: number) => ({
      eventId: uuidv7(),
      occurredAt: new Date(at).toISOString(),
      paymentId,
      correlationId: `corr-${i}`,
      version,
    });
    const events: PaymentEvent[] = [
      {
        ...envelope(1, initiatedAt),
        type: 'payment.initiated',
        data: { ...terms, reference: `ref ${i}`, metadata: null },
      },
    ];
    const decidedAt = initiatedAt + 5 + Math.floor(rnd() * 200);
    const roll = rnd();
    let outcome: SimulatedPayment['outcome'];
    let settleLatencyMs: number | undefined;
    if (roll < 0.15) {
      outcome = 'REJECTED';
      events.push({
        ...envelope(2, decidedAt),
        type: 'payment.rejected',
        data: { ...terms, reason: 'RISK_AMOUNT_LIMIT', reasons: ['RISK_AMOUNT_LIMIT'], riskScore: 90, ruleVersion: 1 },
      });
    } else {
      events.push({
        ...envelope(2, decidedAt),
        type: 'payment.authorized',
        data: { ...terms, riskScore: 10, ruleVersion: 1 },
      });
      const doneAt = decidedAt + 5 + Math.floor(rnd() * rnd() * 8000);
      if (roll < 0.25) {
        outcome = 'FAILED';
        events.push({
          ...envelope(3, doneAt),
          type: 'payment.failed',
          data: { ...terms, reason: 'INSUFFICIENT_FUNDS', refusedAt: new Date(decidedAt).toISOString() },
        });
      } else {
        outcome = 'SETTLED';
        settleLatencyMs = doneAt - initiatedAt;
        events.push({
          ...envelope(3, doneAt),
          type: 'payment.settled',
          data: {
            ...terms,
            journalEntryId: uuidv7(),
            postings: [
              { accountId: debtorAccountId, amount: `-${amount}`, currency },
              { accountId: 'acc-merchant', amount, currency },
            ],
            postedAt: new Date(decidedAt).toISOString(),
          },
        });
      }
    }
    return { paymentId, debtorAccountId, currency, minor, outcome, initiatedAt, settleLatencyMs, events };
  });
}

/** Produces the events keyed by debtor account (DESIGN.md §3), Avro through the registry. */
export async function produceEvents(
  producer: Producer,
  codec: SchemaRegistryCodec,
  topic: string,
  payments: SimulatedPayment[],
): Promise<number> {
  const messages = await Promise.all(
    payments.flatMap((p) =>
      p.events.map(async (event) => ({
        key: p.debtorAccountId,
        value: await codec.encode(topic, event),
        headers: { type: event.type, eventId: event.eventId },
      })),
    ),
  );
  // kafkajs keeps the array's order within a partition: each payment's events stay in order.
  await producer.send({ topic, acks: -1, messages });
  return messages.length;
}
