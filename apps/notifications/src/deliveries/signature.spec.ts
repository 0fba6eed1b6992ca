import { createHmac } from 'node:crypto';
import { signatureHeader, signatureOf, verifySignature } from './signature';

describe('webhook signatures', () => {
  const body = '{"eventId":"e-1","type":"payment.settled"}';
  const t = 1_795_600_000;

  it('is the hex HMAC-SHA256 of "<t>.<body>" keyed with the secret', () => {
    const expected = createHmac('sha256', 'whsec_test').update(`${t}.${body}`).digest('hex');
    expect(signatureOf('whsec_test', t, body)).toBe(expected);
    expect(signatureHeader(['whsec_test'], t, body)).toBe(`t=${t},v1=${expected}`);
  });

  it('carries one v1 entry per signing secret, and either secret verifies during a rotation', () => {
    const header = signatureHeader(['new-secret', 'old-secret'], t, body);
    expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifySignature(header, 'new-secret', body, t)).toEqual({ ok: true, timestamp: t });
    expect(verifySignature(header, 'old-secret', body, t)).toEqual({ ok: true, timestamp: t });
    expect(verifySignature(header, 'other-secret', body, t)).toEqual({ ok: false, reason: 'MISMATCH' });
  });

  it('refuses a changed body, a timestamp outside the tolerance and a malformed header', () => {
    const header = signatureHeader(['s3cret'], t, body);
    expect(verifySignature(header, 's3cret', body + ' ', t)).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(verifySignature(header, 's3cret', body, t + 301)).toEqual({ ok: false, reason: 'STALE' });
    expect(verifySignature(header, 's3cret', body, t - 301)).toEqual({ ok: false, reason: 'STALE' });
    expect(verifySignature('v1=abc', 's3cret', body, t)).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(verifySignature(`t=${t}`, 's3cret', body, t)).toEqual({ ok: false, reason: 'MALFORMED' });
  });
});
