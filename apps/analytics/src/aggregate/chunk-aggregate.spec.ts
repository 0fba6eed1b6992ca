import type { PaymentEvent } from '@paystream/contracts';
import { ChunkAggregate, InvalidEventError, minuteOf } from './chunk-aggregate';

function ev(type: PaymentEvent['type'], paymentId: string, amount: string, at: string, currency = 'EUR'): PaymentEvent {
  return {
    eventId: `${paymentId}-${type}`,
    type,
    occurredAt: at,
    paymentId,
    correlationId: 'c',
    version: 1,
    data: { debtorAccountId: `acc-${paymentId.slice(0, 3)}`, creditorAccountId: 'acc-x', amount, currency },
  } as PaymentEvent;
}

describe(ChunkAggregate.name, () => {
  it('floors instants to their UTC minute', () => {
    expect(minuteOf('2026-11-25T12:34:56.789Z')).toBe('2026-11-25T12:34:00.000Z');
    expect(minuteOf('2026-11-25T13:34:56+01:00')).toBe('2026-11-25T12:34:00.000Z');
    expect(() => minuteOf('yesterday')).toThrow(InvalidEventError);
  });

  it('sums counts and minor-unit volumes per currency, minute and status', () => {
    const chunk = new ChunkAggregate();
    chunk.add(ev('payment.initiated', 'p1', '10.05', '2026-11-25T12:00:01Z'));
    chunk.add(ev('payment.initiated', 'p2', '0.01', '2026-11-25T12:00:59Z'));
    chunk.add(ev('payment.initiated', 'p3', '1000', '2026-11-25T12:00:30Z', 'JPY'));
    chunk.add(ev('payment.authorized', 'p1', '10.05', '2026-11-25T12:01:00Z'));
    expect([...chunk.statusCells.values()]).toEqual([
      { currency: 'EUR', minute: '2026-11-25T12:00:00.000Z', status: 'PENDING', payments: 2n, volume: 1006n },
      { currency: 'JPY', minute: '2026-11-25T12:00:00.000Z', status: 'PENDING', payments: 1n, volume: 1000n },
      { currency: 'EUR', minute: '2026-11-25T12:01:00.000Z', status: 'AUTHORIZED', payments: 1n, volume: 1005n },
    ]);
    expect(chunk.accountCells.get('EUR|2026-11-25T12:00:00.000Z|acc-p1')).toMatchObject({
      payments: 1n,
      volume: 1005n,
    });
  });

  it('keeps starts for latency, and marks settled, failed and rejected payments finished', () => {
    const chunk = new ChunkAggregate();
    chunk.add(ev('payment.initiated', 'p1', '1.00', '2026-11-25T12:00:00Z'));
    chunk.add(ev('payment.settled', 'p1', '1.00', '2026-11-25T12:00:02.5Z'));
    chunk.add(ev('payment.rejected', 'p2', '1.00', '2026-11-25T12:00:03Z'));
    expect(chunk.starts.get('p1')).toBe(Date.parse('2026-11-25T12:00:00Z'));
    expect(chunk.settlements).toEqual([
      {
        paymentId: 'p1',
        currency: 'EUR',
        minute: '2026-11-25T12:00:00.000Z',
        settledAt: Date.parse('2026-11-25T12:00:02.5Z'),
      },
    ]);
    expect([...chunk.finished]).toEqual(['p1', 'p2']);
  });

  it('refuses amounts that are not positive decimals of the currency', () => {
    const chunk = new ChunkAggregate();
    expect(() => chunk.add(ev('payment.initiated', 'p1', '1.005', '2026-11-25T12:00:00Z'))).toThrow(InvalidEventError);
    expect(() => chunk.add(ev('payment.initiated', 'p1', '0', '2026-11-25T12:00:00Z'))).toThrow(InvalidEventError);
    expect(() => chunk.add(ev('payment.initiated', 'p1', '1', '2026-11-25T12:00:00Z', 'XXQ'))).toThrow(
      InvalidEventError,
    );
    expect(chunk.size).toBe(0);
  });
});
