import { loadConfig } from '@paystream/platform';
import { paymentConfigShape } from './config';

describe('payment configuration', () => {
  it('keeps idempotency keys 24 hours by default and allows no less', () => {
    const config = loadConfig('payment', 3000, paymentConfigShape, {});
    expect(config.PAYMENT_IDEMPOTENCY_TTL_HOURS).toBe(24);
    expect(config.PAYMENT_MAX_AMOUNT).toBe('1000000000');
    expect(config.PAYMENT_CONSUMER_GROUP).toBe('payment');
    expect(config.PAYMENT_SAGA_ENABLED).toBe(true);
    expect(() => loadConfig('payment', 3000, paymentConfigShape, { PAYMENT_IDEMPOTENCY_TTL_HOURS: '12' })).toThrow(
      /PAYMENT_IDEMPOTENCY_TTL_HOURS/,
    );
  });

  it.each([
    ['PAYMENT_MAX_AMOUNT', '100.50'],
    ['PAYMENT_LIST_MAX_LIMIT', '0'],
    ['PAYMENT_SAGA_ENABLED', 'maybe'],
    ['PAYMENT_CONSUMER_GROUP', 'has spaces'],
  ])('stops at start-up naming %s when it is %p', (name, value) => {
    expect(() => loadConfig('payment', 3000, paymentConfigShape, { [name]: value })).toThrow(new RegExp(name));
  });
});
