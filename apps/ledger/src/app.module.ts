import { DynamicModule, Module } from '@nestjs/common';
import { KafkaHealth } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { LedgerChecksController } from './ledger-checks/ledger-checks.controller';
import { ledgerMigrations } from './migrations';
import { ledgerEntities } from './persistence';

@Module({})
export class LedgerAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: LedgerAppModule,
      imports: [platform, PersistenceModule.forRoot({ entities: ledgerEntities, migrations: ledgerMigrations })],
      controllers: [AccountsController, LedgerChecksController],
      providers: [KafkaHealth, AccountsService],
    };
  }
}
