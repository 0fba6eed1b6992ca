import type { SharedConfig } from '@paystream/platform';

/** Notifications service variables on top of the shared ones (README: Configuration). */
export const notificationsConfigShape = {};

export type NotificationsConfig = SharedConfig;
