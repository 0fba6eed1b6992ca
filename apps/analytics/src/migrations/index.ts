/** Every migration of the analytics database, in order. */
export const analyticsMigrations = [];
