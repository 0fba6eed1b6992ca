import { HeaderValueSet, headerString } from './headers';

describe('record headers', () => {
  it('reads a header as text, the first of repeated ones', () => {
    expect(headerString({ type: Buffer.from('payment.settled') }, 'type')).toBe('payment.settled');
    expect(headerString({ type: [Buffer.from('a'), Buffer.from('b')] }, 'type')).toBe('a');
    expect(headerString({ type: 'x' }, 'type')).toBe('x');
    expect(headerString({}, 'type')).toBeUndefined();
    expect(headerString(undefined, 'type')).toBeUndefined();
  });

  it('matches header bytes against a set of values without decoding them', () => {
    const accepted = new HeaderValueSet(['payment.settled', 'payment.failed', 'payment.rejected']);
    expect(accepted.has(Buffer.from('payment.settled'))).toBe(true);
    expect(accepted.has(Buffer.from('payment.failed'))).toBe(true);
    expect(accepted.has('payment.rejected')).toBe(true);
    // Same length as payment.settled, other bytes; a prefix; a longer one; multi-byte text.
    expect(accepted.has(Buffer.from('payment.settlex'))).toBe(false);
    expect(accepted.has(Buffer.from('payment.'))).toBe(false);
    expect(accepted.has(Buffer.from('payment.settled2'))).toBe(false);
    expect(new HeaderValueSet(['zahlung.ä']).has(Buffer.from('zahlung.ä'))).toBe(true);
    expect(accepted.has(Buffer.alloc(0))).toBe(false);
  });
});
