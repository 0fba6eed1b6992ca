import './kafkajs-request-queue.patch';
import './kafkajs-coordinator-cache.patch';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, HealthRegistry, SharedConfig } from '@paystream/platform';
import { Admin, Kafka } from 'kafkajs';
import { kafkaClientConfig } from './kafka-config';

/**
 * Registers the `kafka` readiness check: a metadata round trip to the cluster through a
 * dedicated admin client (so it reflects the cluster, not one consumer's state).
 */
@Injectable()
export class KafkaHealth implements OnModuleInit, OnApplicationShutdown {
  private admin?: Admin;
  private connected = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: SharedConfig,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    const kafka = new Kafka({ ...kafkaClientConfig(this.config, '-health'), retry: { retries: 0 } });
    this.admin = kafka.admin();
    this.health.register('kafka', () => this.check());
  }

  private async check(): Promise<void> {
    const admin = this.admin;
    if (!admin) throw new Error('not started');
    if (!this.connected) {
      await admin.connect();
      this.connected = true;
    }
    try {
      await admin.describeCluster();
    } catch (err) {
      this.connected = false;
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
