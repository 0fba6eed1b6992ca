/** Every migration of the notifications database, in order. */
export const notificationsMigrations = [];
