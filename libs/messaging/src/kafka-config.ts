import './kafkajs-request-queue.patch';
import './kafkajs-coordinator-cache.patch';
import { KafkaConfig, logLevel, SASLOptions } from 'kafkajs';
import type { SharedConfig } from '@paystream/platform';

/**
 * kafkajs client settings from the service's validated config. SASL and TLS are switched on
 * by configuration alone, so the same build talks to the local broker, MSK, Confluent Cloud or
 * Aiven (README: "Pointing at an existing cluster").
 */
export function kafkaClientConfig(config: SharedConfig, clientIdSuffix = ''): KafkaConfig {
  let sasl: SASLOptions | undefined;
  if (config.KAFKA_SASL_MECHANISM) {
    sasl = {
      mechanism: config.KAFKA_SASL_MECHANISM,
      username: config.KAFKA_SASL_USERNAME ?? '',
      password: config.KAFKA_SASL_PASSWORD ?? '',
    };
  }
  return {
    clientId: config.KAFKA_CLIENT_ID + clientIdSuffix,
    brokers: [...config.KAFKA_BROKERS],
    ssl: config.KAFKA_SSL,
    sasl,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
  };
}
