/** The lifecycle of DESIGN.md §4: PENDING → AUTHORIZED | REJECTED, AUTHORIZED → SETTLED | FAILED. */
export const PAYMENT_STATUSES = ['PENDING', 'AUTHORIZED', 'REJECTED', 'SETTLED', 'FAILED'] as const;

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const NEXT: Record<PaymentStatus, readonly PaymentStatus[]> = {
  PENDING: ['AUTHORIZED', 'REJECTED'],
  AUTHORIZED: ['SETTLED', 'FAILED'],
  REJECTED: [],
  SETTLED: [],
  FAILED: [],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return NEXT[from].includes(to);
}

export function isFinal(status: PaymentStatus): boolean {
  return NEXT[status].length === 0;
}

export function isPaymentStatus(value: string): value is PaymentStatus {
  return (PAYMENT_STATUSES as readonly string[]).includes(value);
}
