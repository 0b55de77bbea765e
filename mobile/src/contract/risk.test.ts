import {
  DEFAULT_HIGH_RISK_MASS,
  HIGH_RISK_LABELS,
  LABELS,
  MEDIUM_RISK_LABELS,
  RISK_GROUP,
  RISK_RULE_CASES,
  effectiveHighRiskMass,
  riskLevel,
} from '@/contract';

describe('riskLevel agrees with the Python rule (lesion_contract.risk)', () => {
  it('has a rule table to check', () => {
    expect(RISK_RULE_CASES.length).toBeGreaterThanOrEqual(10);
    const levels = new Set(RISK_RULE_CASES.map((c) => c.expected));
    expect([...levels].sort()).toEqual(['high', 'low', 'medium']);
  });

  it.each(RISK_RULE_CASES.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    expect(riskLevel(c.probabilities, { highRiskMass: c.highRiskMass })).toBe(c.expected);
  });
});

describe('riskLevel input checks', () => {
  const nv = [0, 0, 0, 0, 0, 1, 0];

  it('refuses the wrong number of values', () => {
    expect(() => riskLevel([0.5, 0.5], { highRiskMass: 0.35 })).toThrow(/7 values/);
  });

  it('refuses NaN, infinity and negative values', () => {
    expect(() => riskLevel([Number.NaN, 0, 0, 0, 0, 1, 0], { highRiskMass: 0.35 })).toThrow(/finite/);
    expect(() => riskLevel([Number.POSITIVE_INFINITY, 0, 0, 0, 0, 1, 0], { highRiskMass: 0.35 })).toThrow(/finite/);
    expect(() => riskLevel([-0.1, 0, 0, 0, 0, 1, 0], { highRiskMass: 0.35 })).toThrow(/negative/);
  });

  it('refuses a mass outside (0, 1]', () => {
    expect(() => riskLevel(nv, { highRiskMass: 0 })).toThrow(/highRiskMass/);
    expect(() => riskLevel(nv, { highRiskMass: 1.5 })).toThrow(/highRiskMass/);
  });
});

describe('effectiveHighRiskMass', () => {
  it('takes the lower of the server and bundle masses', () => {
    expect(effectiveHighRiskMass(DEFAULT_HIGH_RISK_MASS)).toBe(0.35);
    expect(effectiveHighRiskMass(0.35, null)).toBe(0.35);
    expect(effectiveHighRiskMass(0.35, 0.2)).toBe(0.2);
    expect(effectiveHighRiskMass(0.35, 0.9)).toBe(0.35); // a bundle cannot loosen the rule
  });

  it('refuses masses outside (0, 1]', () => {
    expect(() => effectiveHighRiskMass(0.35, -1)).toThrow(/high_risk.mass/);
    expect(() => effectiveHighRiskMass(Number.NaN)).toThrow(/server/);
  });
});

describe('generated contract facts', () => {
  it('keeps the label order and the risk groups', () => {
    expect(LABELS).toEqual(['akiec', 'bcc', 'bkl', 'df', 'mel', 'nv', 'vasc']);
    expect(HIGH_RISK_LABELS).toEqual(LABELS.filter((l) => RISK_GROUP[l] === 'high'));
    expect(MEDIUM_RISK_LABELS).toEqual(['bkl', 'df']);
  });
});
