/** Every migration of the payment database, in order. */
export const paymentMigrations = [];
