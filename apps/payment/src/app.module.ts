import { DynamicModule, Module } from '@nestjs/common';
import { MessagingModule } from '@paystream/messaging';
import { PersistenceModule } from '@paystream/persistence';
import { ApplyDecisionService } from './apply-decisions/apply-decision.service';
import { paymentSagaController } from './apply-decisions/payment-saga.controller';
import { PaymentConfig } from './config';
import { paymentMigrations } from './migrations';
import { IdempotencyRepository } from './persistence/idempotency.repository';
import { paymentEntities } from './persistence/payment-entities';
import { PaymentRepository } from './persistence/payment.repository';
import { PaymentQueryController } from './query-payments/payment-query.controller';
import { IdempotencyPurger } from './submit-payment/idempotency-purger';
import { SubmitPaymentController } from './submit-payment/submit-payment.controller';
import { SubmitPaymentService } from './submit-payment/submit-payment.service';

@Module({})
export class PaymentAppModule {
  static register(config: PaymentConfig, platform: DynamicModule): DynamicModule {
    return {
      module: PaymentAppModule,
      imports: [
        platform,
        PersistenceModule.forRoot({ entities: paymentEntities, migrations: paymentMigrations }),
        // Codec, Outbox, the kafka readiness check and the outbox relay, which runs in this process and
        // publishes what POST and the saga commit.
        MessagingModule.forRoot({ relay: true }),
      ],
      controllers: [
        SubmitPaymentController,
        PaymentQueryController,
        paymentSagaController({
          riskDecisions: config.PAYMENT_RISK_DECISIONS_TOPIC,
          ledgerResults: config.PAYMENT_LEDGER_RESULTS_TOPIC,
        }),
      ],
      providers: [
        PaymentRepository,
        IdempotencyRepository,
        SubmitPaymentService,
        IdempotencyPurger,
        ApplyDecisionService,
      ],
    };
  }
}
