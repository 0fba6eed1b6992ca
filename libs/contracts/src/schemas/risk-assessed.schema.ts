import { eventSchema, PAYMENT_TERMS_FIELDS } from './envelope.schema';

export const riskAssessedSchema = eventSchema('RiskAssessed', 'the risk decision, taken once and recorded', [
  ...PAYMENT_TERMS_FIELDS,
  { name: 'decision', type: { type: 'enum', name: 'RiskDecision', symbols: ['APPROVE', 'REJECT'] } },
  { name: 'score', type: 'double' },
  { name: 'reasons', type: { type: 'array', items: 'string' } },
  { name: 'ruleVersion', type: 'int' },
]);
