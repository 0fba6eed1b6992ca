import { checkWebhookUrl, isPrivateAddress } from './url-guard';

describe('webhook URL guard', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ])('treats %s as private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'treats %s as public',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  const resolveTo = (addresses: string[]) => () => Promise.resolve(addresses);

  it('refuses a host that resolves to any private address unless private URLs are allowed', async () => {
    const mixed = resolveTo(['93.184.216.34', '10.0.0.5']);
    expect(await checkWebhookUrl('https://hooks.example.com/x', false, mixed)).toEqual({
      code: 'WEBHOOK_URL_FORBIDDEN',
      message: 'host resolves to a private address (10.0.0.5)',
    });
    expect(await checkWebhookUrl('https://hooks.example.com/x', true, mixed)).toBeUndefined();
    expect(await checkWebhookUrl('https://hooks.example.com/x', false, resolveTo(['93.184.216.34']))).toBeUndefined();
  });

  it('refuses literal loopback addresses, other schemes, credentials and unresolvable hosts', async () => {
    expect((await checkWebhookUrl('http://127.0.0.1:8080/hook', false))?.code).toBe('WEBHOOK_URL_FORBIDDEN');
    expect((await checkWebhookUrl('http://[::1]/hook', false))?.code).toBe('WEBHOOK_URL_FORBIDDEN');
    expect((await checkWebhookUrl('ftp://example.com/x', true))?.code).toBe('WEBHOOK_URL_INVALID');
    expect((await checkWebhookUrl('https://u:p@example.com/x', true))?.code).toBe('WEBHOOK_URL_INVALID');
    expect((await checkWebhookUrl('not a url', true))?.code).toBe('WEBHOOK_URL_INVALID');
    const failing = () => Promise.reject(new Error('getaddrinfo ENOTFOUND nowhere.invalid'));
    expect((await checkWebhookUrl('https://nowhere.invalid/x', false, failing))?.code).toBe('WEBHOOK_URL_UNRESOLVABLE');
  });
});
