import { DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { DataSource } from 'typeorm';
import { AuditConfig } from './config';
import { auditMigrations } from './migrations';
import { AuditTrailRepository } from './persistence/audit-trail.repository';
import { AuditEventsController } from './query-events/audit-events.controller';
import { auditedEventsConsumer } from './record-events/audited-events.consumer';
import { RecordEventService } from './record-events/record-event.service';
import { VerifyChainController } from './verify-chain/verify-chain.controller';
import { VerifyChainService } from './verify-chain/verify-chain.service';

@Module({})
export class AuditAppModule {
  static register(config: AuditConfig, platform: DynamicModule): DynamicModule {
    return {
      module: AuditAppModule,
      imports: [
        platform,
        PersistenceModule.forRoot({ entities: [], migrations: auditMigrations }),
        MessagingModule.forRoot({ relay: false }),
      ],
      controllers: [AuditEventsController, VerifyChainController, auditedEventsConsumer(config.AUDIT_TOPICS)],
      providers: [
        AuditTrailRepository,
        {
          provide: RecordEventService,
          inject: [AuditTrailRepository],
          useFactory: (trail: AuditTrailRepository) => new RecordEventService(trail),
        },
        {
          provide: VerifyChainService,
          inject: [DataSource, AuditTrailRepository],
          useFactory: (db: DataSource, trail: AuditTrailRepository) => new VerifyChainService(db, trail),
        },
      ],
    };
  }
}
