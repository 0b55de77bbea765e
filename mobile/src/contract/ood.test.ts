import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  LABELS,
  MODEL_VARIANTS,
  OOD_RULE_CASES,
  assess,
  checkOodRule,
  dequantizeFeatures,
  oodScore,
  outcomeFor,
  parseOodRule,
  thresholdFor,
  type Manifest,
  type ModelVariant,
} from '@/contract';

describe('the cannot-assess rule agrees with the Python rule (lesion_contract.ood)', () => {
  it('has both scores and both outcomes in its table', () => {
    expect(new Set(OOD_RULE_CASES.map((c) => c.rule.score))).toEqual(new Set(['mahalanobis', 'msp']));
    expect(new Set(OOD_RULE_CASES.flatMap((c) => Object.values(c.outcomes)))).toEqual(new Set(['assessed', 'cannot_assess']));
  });

  it('has rules with and without per-variant thresholds, and cases where the variants disagree', () => {
    expect(OOD_RULE_CASES.some((c) => c.rule.variant_thresholds === undefined)).toBe(true);
    expect(OOD_RULE_CASES.some((c) => c.rule.variant_thresholds !== undefined && Object.keys(c.rule.variant_thresholds).length === 3)).toBe(true);
    expect(OOD_RULE_CASES.some((c) => c.rule.variant_thresholds !== undefined && Object.keys(c.rule.variant_thresholds).length < 3)).toBe(true);
    expect(OOD_RULE_CASES.some((c) => new Set(Object.values(c.outcomes)).size > 1)).toBe(true);
  });

  it.each(OOD_RULE_CASES.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const rule = parseOodRule(c.rule)!;
    expect(oodScore(rule, c.features, c.probabilities)).toBe(c.score);
    for (const variant of MODEL_VARIANTS) {
      expect(thresholdFor(rule, variant)).toBe(c.thresholds[variant]);
      expect(assess(rule, c.features, c.probabilities, variant)).toEqual({ outcome: c.outcomes[variant], score: c.score });
      expect(outcomeFor(rule, c.score, variant)).toBe(c.outcomes[variant]);
    }
  });
});

describe('rule checks', () => {
  const good = OOD_RULE_CASES[0]!.rule;

  it('a bundle without a rule is always assessed', () => {
    expect(parseOodRule(undefined)).toBeNull();
    expect(assess(null, null, [0, 0, 0, 0, 0, 1, 0], 'int8')).toEqual({ outcome: 'assessed', score: null });
    expect(outcomeFor(null, 1e9, 'int8')).toBe('assessed');
  });

  it('a score that is not finite cannot be assessed', () => {
    expect(outcomeFor(good, Number.NaN, 'h5')).toBe('cannot_assess');
  });

  it('a variant without its own threshold falls back to the shared one', () => {
    expect(thresholdFor(good, 'int8')).toBe(good.threshold);
    const own = parseOodRule({ ...good, variant_thresholds: { int8: 2 } })!;
    expect(thresholdFor(own, 'int8')).toBe(2);
    expect(thresholdFor(own, 'h5')).toBe(good.threshold);
    expect(() => thresholdFor(own, 'tflite' as ModelVariant)).toThrow(/variant/);
  });

  it('checks variant_thresholds like the Python rule: only h5, int8, fp16, each finite', () => {
    expect(checkOodRule({ ...good, variant_thresholds: { h5: 4, int8: 2.25, fp16: 3 } })).toEqual([]);
    expect(checkOodRule({ ...good, variant_thresholds: {} })).toEqual([]);
    for (const bad of [{ tflite: 1 }, { int8: Number.NaN }, { int8: Number.POSITIVE_INFINITY }, { int8: '2' }, { int8: true }, [1, 2, 3], 3]) {
      expect(checkOodRule({ ...good, variant_thresholds: bad })).toEqual([expect.stringMatching(/variant_thresholds/)]);
    }
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
    expect(thresholdFor(rule, 'int8')).toBeLessThanOrEqual(rule.threshold);
    const features = rule.score === 'mahalanobis' ? dequantizeFeatures(rule, g.ood_features_int8!) : null;
    expect(features?.length ?? rule.dim ?? 0).toBe(rule.dim ?? 0);
    expect(oodScore(rule, features, g.expected.int8)).toBeCloseTo(g.ood_score!.int8!, 6);
    expect(g.expected.int8).toHaveLength(LABELS.length);
  });
});
