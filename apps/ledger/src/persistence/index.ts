import { AccountEntity } from './account.entity';
import { JournalEntryEntity } from './journal-entry.entity';
import { PaymentOutcomeEntity } from './payment-outcome.entity';
import { PostingEntity } from './posting.entity';
import { RefusalEntity } from './refusal.entity';
import { SettlementMismatchEntity } from './settlement-mismatch.entity';

export {
  AccountEntity,
  JournalEntryEntity,
  PaymentOutcomeEntity,
  PostingEntity,
  RefusalEntity,
  SettlementMismatchEntity,
};

export const ledgerEntities = [
  AccountEntity,
  JournalEntryEntity,
  PostingEntity,
  RefusalEntity,
  PaymentOutcomeEntity,
  SettlementMismatchEntity,
];
