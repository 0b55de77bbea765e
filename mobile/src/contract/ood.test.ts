import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { LABELS, OOD_RULE_CASES, assess, checkOodRule, dequantizeFeatures, oodScore, outcomeFor, parseOodRule, type Manifest } from '@/contract';

describe('the cannot-assess rule agrees with the Python rule (lesion_contract.ood)', () => {
  it('has both scores and both outcomes in its table', () => {
    expect(new Set(OOD_RULE_CASES.map((c) => c.rule.score))).toEqual(new Set(['mahalanobis', 'msp']));
    expect(new Set(OOD_RULE_CASES.map((c) => c.outcome))).toEqual(new Set(['assessed', 'cannot_assess']));
  });

  it.each(OOD_RULE_CASES.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const rule = parseOodRule(c.rule)!;
    expect(oodScore(rule, c.features, c.probabilities)).toBe(c.score);
    expect(assess(rule, c.features, c.probabilities)).toEqual({ outcome: c.outcome, score: c.score });
  });
});

describe('rule checks', () => {
  const good = OOD_RULE_CASES[0]!.rule;

  it('a bundle without a rule is always assessed', () => {
    expect(parseOodRule(undefined)).toBeNull();
    expect(assess(null, null, [0, 0, 0, 0, 0, 1, 0])).toEqual({ outcome: 'assessed', score: null });
    expect(outcomeFor(null, 1e9)).toBe('assessed');
  });

  it('a score that is not finite cannot be assessed', () => {
    expect(outcomeFor(good, Number.NaN)).toBe('cannot_assess');
  });

  it('refuses incomplete rules', () => {
    expect(checkOodRule({ ...good, means: [[0, 0, 0]] })).toEqual([expect.stringMatching(/means/)]);
    expect(checkOodRule({ ...good, int8_quantization: undefined })).toEqual([expect.stringMatching(/int8_quantization/)]);
    expect(checkOodRule({ score: 'energy', threshold: 1 })).toEqual([expect.stringMatching(/score/)]);
    expect(() => parseOodRule({ score: 'msp' })).toThrow(/threshold/);
    expect(() => oodScore(good, null, [0, 0, 0, 0, 0, 1, 0])).toThrow(/ood_features/);
    expect(() => oodScore(good, [1, 2], [0, 0, 0, 0, 0, 1, 0])).toThrow(/3 values/);
  });
});

// The newest committed bundle's golden vectors: its int8 ood scores come from the stored uint8 features.
const ARTIFACTS = join(__dirname, '../../../tflite_artifacts');
const newest = readdirSync(ARTIFACTS)
  .filter((name) => existsSync(join(ARTIFACTS, name, 'golden.json')))
  .sort()
  .pop()!;
const manifest = JSON.parse(readFileSync(join(ARTIFACTS, newest, 'manifest.json'), 'utf8')) as Manifest;
type Golden = { file: string; expected: { int8: number[] }; ood_features_int8?: number[]; ood_score?: Record<string, number> };
const goldens = JSON.parse(readFileSync(join(ARTIFACTS, newest, 'golden.json'), 'utf8')) as Golden[];

(manifest.ood ? describe : describe.skip)(`${newest}'s golden ood scores`, () => {
  it.each(goldens.map((g) => [g.file, g] as const))('%s: the app computes the bundle int8 score', (_f, g) => {
    const rule = parseOodRule(manifest.ood)!;
    const features = rule.score === 'mahalanobis' ? dequantizeFeatures(rule, g.ood_features_int8!) : null;
    expect(features?.length ?? rule.dim ?? 0).toBe(rule.dim ?? 0);
    expect(oodScore(rule, features, g.expected.int8)).toBeCloseTo(g.ood_score!.int8!, 6);
    expect(g.expected.int8).toHaveLength(LABELS.length);
  });
});
