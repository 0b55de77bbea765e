/** The bundle contract for the app: generated facts (labels, risk groups, manifest type) and the risk rule. */
export * from './generated';
export { effectiveHighRiskMass, riskLevel } from './risk';
export { assess, checkOodRule, dequantizeFeatures, oodScore, outcomeFor, parseOodRule, thresholdFor } from './ood';
