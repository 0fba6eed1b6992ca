import type { SharedConfig } from '@paystream/platform';

/** Analytics service variables on top of the shared ones (README: Configuration). */
export const analyticsConfigShape = {};

export type AnalyticsConfig = SharedConfig;
