import type { ValueTransformer } from 'typeorm';

/** BIGINT comes back from pg as a string (parseInt8 off); money stays bigint in code. */
export const bigintColumn: ValueTransformer = {
  to: (value: bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
  from: (value: string | null) => (value === null ? null : BigInt(value)),
};
