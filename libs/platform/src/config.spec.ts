import { z } from 'zod';
import { ConfigError, envInt, loadConfig, topicName } from './config';

describe('loadConfig', () => {
  it('applies the defaults of the local stack', () => {
    const c = loadConfig('ledger', 3001, {}, {});
    expect(c.PORT).toBe(3001);
    expect(c.DATABASE_NAME).toBe('paystream_ledger');
    expect(c.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(c.SCHEMA_REGISTRY_URL).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
  });

  it('names the variable whose value is bad', () => {
    expect(() => loadConfig('payment', 3000, {}, { PORT: 'eighty' })).toThrow(/PORT: must be a whole number/);
    expect(() => loadConfig('payment', 3000, {}, { KAFKA_BROKERS: 'localhost' })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadConfig('payment', 3000, { LIMIT: envInt(1, 5) }, { LIMIT: '9' })).toThrow(ConfigError);
  });

  it('requires SASL credentials when a mechanism is set', () => {
    expect(() => loadConfig('risk', 3003, {}, { KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_USERNAME/);
  });

  it('treats empty strings as unset and keeps service variables', () => {
    const c = loadConfig('risk', 3003, { RISK_AMOUNT_LIMIT: z.string().default('10000.00') }, { PORT: '' });
    expect(c.PORT).toBe(3003);
    expect(c.RISK_AMOUNT_LIMIT).toBe('10000.00');
  });

  it('refuses a topic variable that is not a Kafka topic name, naming it', () => {
    const shape = { SOME_TOPIC: topicName.default('payment-events') };
    expect(loadConfig('analytics', 3005, shape, {}).SOME_TOPIC).toBe('payment-events');
    expect(() => loadConfig('analytics', 3005, shape, { SOME_TOPIC: 'payment events' })).toThrow(
      /SOME_TOPIC: must be a Kafka topic name/,
    );
  });

  it('bounds the cycle floors of consumers and relay', () => {
    const c = loadConfig('audit', 3002, {}, {});
    expect([c.CONSUMER_LINGER_MS, c.OUTBOX_RELAY_LINGER_MS]).toEqual([20, 10]);
    expect(() => loadConfig('audit', 3002, {}, { CONSUMER_LINGER_MS: '5000' })).toThrow(/CONSUMER_LINGER_MS/);
  });
});
