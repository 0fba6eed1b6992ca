import { DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { MessagingModule } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { DataSource } from 'typeorm';
import { AssessPaymentService } from './assess-payment/assess-payment.service';
import { paymentEventsConsumer } from './assess-payment/payment-events.consumer';
import { RiskConfig } from './config';
import { RulesController } from './manage-rules/rules.controller';
import { RulesService } from './manage-rules/rules.service';
import { riskMigrations } from './migrations';
import { DecisionsRepository } from './persistence/decisions.repository';
import { RulesRepository } from './persistence/rules.repository';
import { DecisionsController } from './query-decisions/decisions.controller';

class DefaultRulesInstaller implements OnApplicationBootstrap {
  constructor(@Inject(RulesService) private readonly rules: RulesService) {}
  // Before the consumer starts (startAllMicroservices runs after bootstrap), so the first event
  // always finds a rule version.
  onApplicationBootstrap(): Promise<void> {
    return this.rules.installDefaults();
  }
}

@Module({})
export class RiskAppModule {
  static register(config: RiskConfig, platform: DynamicModule): DynamicModule {
    return {
      module: RiskAppModule,
      imports: [
        platform,
        PersistenceModule.forRoot({ entities: [], migrations: riskMigrations }),
        // The relay only publishes in 'database' mode (the benchmark's baseline without Kafka transactions).
        MessagingModule.forRoot({ relay: config.RISK_CONSUMER_MODE === 'database' }),
      ],
      controllers: [
        RulesController,
        DecisionsController,
        paymentEventsConsumer(config.RISK_INPUT_TOPIC, config.RISK_OUTPUT_TOPIC),
      ],
      providers: [
        RulesRepository,
        DecisionsRepository,
        {
          provide: RulesService,
          inject: [DataSource, RulesRepository],
          useFactory: (db: DataSource, repo: RulesRepository) =>
            new RulesService(db, repo, { amountLimit: config.RISK_AMOUNT_LIMIT }),
        },
        {
          provide: AssessPaymentService,
          inject: [RulesRepository, DecisionsRepository],
          useFactory: (rules: RulesRepository, decisions: DecisionsRepository) =>
            new AssessPaymentService(rules, decisions),
        },
        DefaultRulesInstaller,
      ],
    };
  }
}
