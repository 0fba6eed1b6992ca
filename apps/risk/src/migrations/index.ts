/** Every migration of the risk database, in order. */
export const riskMigrations = [];
