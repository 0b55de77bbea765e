/**
 * The high-risk rule, ported by hand from contract/src/lesion_contract/risk.py. risk.test.ts runs
 * every row of the generated RISK_RULE_CASES (computed by the Python rule), so the two cannot drift.
 *
 * High when the top label (argmax; the first label wins a tie) is high-risk (mel, bcc, akiec) OR
 * those classes together hold at least `highRiskMass` of the probability (summed in label order);
 * otherwise medium for a bkl/df top label and low for the rest. A screening aid, not a diagnosis:
 * the rule errs towards sending people to a clinician.
 */
import { HIGH_RISK_LABELS, LABELS, RISK_GROUP, type RiskLevel } from './generated';

const HIGH_RISK_INDICES: readonly number[] = LABELS.flatMap((label, i) => (HIGH_RISK_LABELS.includes(label) ? [i] : []));

function checkMass(mass: number, name: string): number {
  if (typeof mass !== 'number' || !Number.isFinite(mass) || mass <= 0 || mass > 1) {
    throw new RangeError(`${name} must be a number in (0, 1], got ${String(mass)}`);
  }
  return mass;
}

export function riskLevel(probabilities: readonly number[], opts: { highRiskMass: number }): RiskLevel {
  const mass = checkMass(opts.highRiskMass, 'highRiskMass');
  if (probabilities.length !== LABELS.length) {
    throw new RangeError(`probabilities must have ${LABELS.length} values in label order ${LABELS.join(', ')}, got ${probabilities.length}`);
  }
  let top = 0;
  probabilities.forEach((p, i) => {
    if (typeof p !== 'number' || !Number.isFinite(p)) throw new RangeError('probabilities must be finite numbers');
    if (p < 0) throw new RangeError('probabilities must not be negative');
    if (p > (probabilities[top] as number)) top = i;
  });
  let highMass = 0;
  for (const i of HIGH_RISK_INDICES) highMass += probabilities[i] as number;
  const topLabel = LABELS[top] as (typeof LABELS)[number];
  const group = RISK_GROUP[topLabel];
  if (group === 'high' || highMass >= mass) return 'high';
  return group === 'medium' ? 'medium' : 'low';
}

/** The mass in force: the lower of the server's and the bundle's (a bundle can only make the rule more cautious). */
export function effectiveHighRiskMass(serverMass: number, bundleMass?: number | null): number {
  const server = checkMass(serverMass, 'the server high-risk mass');
  if (bundleMass === undefined || bundleMass === null) return server;
  return Math.min(server, checkMass(bundleMass, "the bundle's high_risk.mass"));
}
