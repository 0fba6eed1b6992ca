import { decodeCursor, encodeCursor } from './payment-cursor';

describe(encodeCursor.name, () => {
  it('round-trips a payment id through an opaque base64url cursor', () => {
    const id = '019aba2e-7c1d-7e4f-8a9b-000000000042';
    const cursor = encodeCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
    expect(decodeCursor(cursor)).toBe(id);
  });

  it.each([
    ['garbage', 'abc'],
    ['a bare id', '019aba2e-7c1d-7e4f-8a9b-000000000042'],
    ['another version tag', Buffer.from('v2:019aba2e-7c1d-7e4f-8a9b-000000000042').toString('base64url')],
    ['an id that is not a uuid', Buffer.from("v1:1' OR '1'='1").toString('base64url')],
    ['characters outside base64url', 'a+b/c='],
  ])('refuses %s', (_name, cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });
});
