import { DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { LiveLedgerApplier } from './apply-payment-events/live-ledger.applier';
import { paymentEventsController } from './apply-payment-events/payment-events.controller';
import type { LedgerConfig } from './config';
import { LedgerChecksController } from './ledger-checks/ledger-checks.controller';
import { ledgerMigrations } from './migrations';
import { ledgerEntities } from './persistence';

@Module({})
export class LedgerAppModule {
  static register(config: LedgerConfig, platform: DynamicModule): DynamicModule {
    return {
      module: LedgerAppModule,
      imports: [
        platform,
        PersistenceModule.forRoot({ entities: ledgerEntities, migrations: ledgerMigrations }),
        // The relay publishes ledger.posted / ledger.refused from this database's outbox.
        MessagingModule.forRoot({ relay: true }),
      ],
      controllers: [
        AccountsController,
        LedgerChecksController,
        paymentEventsController(config.LEDGER_PAYMENT_EVENTS_TOPIC),
      ],
      providers: [AccountsService, LiveLedgerApplier],
    };
  }
}
