import type { SharedConfig } from '@paystream/platform';

/** Risk service variables on top of the shared ones (README: Configuration). */
export const riskConfigShape = {};

export type RiskConfig = SharedConfig;
