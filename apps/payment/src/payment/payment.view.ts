import { fromMinor } from '@paystream/money';
import type { Metadata, PaymentState, StatusChange } from './payment';
import type { PaymentStatus } from './payment-status';

/** A payment as the API shows it: amounts as decimal strings, times as ISO-8601 UTC. */
export interface PaymentSummaryView {
  id: string;
  status: PaymentStatus;
  debtorAccountId: string;
  creditorAccountId: string;
  amount: string;
  currency: string;
  reference: string | null;
  metadata: Metadata | null;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StatusHistoryView {
  status: PaymentStatus;
  reason: string | null;
  occurredAt: string;
}

export interface PaymentView extends PaymentSummaryView {
  statusHistory: StatusHistoryView[];
}

export function toSummaryView(state: PaymentState): PaymentSummaryView {
  return {
    id: state.id,
    status: state.status,
    debtorAccountId: state.debtorAccountId,
    creditorAccountId: state.creditorAccountId,
    amount: fromMinor(state.amountMinor, state.currency),
    currency: state.currency,
    reference: state.reference,
    metadata: state.metadata,
    reason: state.reason,
    createdAt: state.createdAt.toISOString(),
    updatedAt: state.updatedAt.toISOString(),
  };
}

export function toPaymentView(state: PaymentState, history: readonly StatusChange[]): PaymentView {
  return {
    ...toSummaryView(state),
    statusHistory: [...history]
      .sort((a, b) => a.version - b.version)
      .map((h) => ({ status: h.status, reason: h.reason, occurredAt: h.occurredAt.toISOString() })),
  };
}
