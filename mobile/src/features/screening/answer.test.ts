/**
 * Dequantisation and the answer built from it, on the active bundle's golden int8 outputs: the bundle
 * records each golden's dequantised int8 probabilities (golden.json expected.int8); the raw uint8
 * output that produced them must dequantise back to exactly those values with the manifest's params.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { LABELS, parseOodRule, thresholdFor, type Manifest } from '@/contract';

import { DEVICE_VARIANT, bundleHighRiskMass, dequantise, deviceAnswer, outputQuantisation } from './answer';

const ARTIFACTS = join(__dirname, '../../../../tflite_artifacts');
const newest = readdirSync(ARTIFACTS)
  .filter((name) => existsSync(join(ARTIFACTS, name, 'golden.json')))
  .sort()
  .pop()!;
const manifest = JSON.parse(readFileSync(join(ARTIFACTS, newest, 'manifest.json'), 'utf8')) as Manifest;
type Golden = { file: string; expected: { int8: number[] }; ood_features_int8?: number[]; ood_score?: { int8: number } };
const goldens = JSON.parse(readFileSync(join(ARTIFACTS, newest, 'golden.json'), 'utf8')) as Golden[];
/** The int8 model's second output for a golden (bundles with a cannot-assess rule), as the classifier hands it over. */
const featuresOf = (g: Golden | undefined) => (g?.ood_features_int8 ? Uint8Array.from(g.ood_features_int8) : null);

describe(`answers from ${newest}'s int8 output`, () => {
  const q = outputQuantisation(manifest);

  it.each(goldens.map((g) => [g.file, g.expected.int8, g] as const))('%s dequantises to the bundle expectation', (_file, expected, g) => {
    const raw = Uint8Array.from(expected, (p) => Math.round(p / q.scale) + q.zeroPoint);
    const probabilities = dequantise(raw, q);
    probabilities.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 6));

    const answer = deviceAnswer(raw, manifest, 12.5, featuresOf(g));
    if (manifest.ood) {
      // the cannot-assess rule on the golden's int8 features gives the bundle's int8 score (the server's rule, ported)
      expect(answer.oodScore).toBeCloseTo(g.ood_score!.int8, 6);
      expect(answer.outcome).toBe(answer.oodScore! > thresholdFor(parseOodRule(manifest.ood)!, 'int8') ? 'cannot_assess' : 'assessed');
    } else {
      expect(answer.outcome).toBeUndefined();
    }
    const top = expected.indexOf(Math.max(...expected));
    expect(answer).toMatchObject({ source: 'device', modelVersion: manifest.version, topLabel: LABELS[top], latencyMs: 12.5 });
    expect(answer.confidence).toBeCloseTo(expected[top]!, 6);
  });

  it('applies the bundle high-risk operating point (lower than the default 0.35)', () => {
    const mass = bundleHighRiskMass(manifest)!;
    expect(mass).toBeLessThan(0.35);
    // A nevus top label with high-risk classes just over the bundle's mass, but under 0.35: high risk.
    const over = Math.ceil((mass + 0.02) / q.scale);
    const raw = new Uint8Array(7);
    raw[LABELS.indexOf('mel')] = over;
    raw[LABELS.indexOf('nv')] = Math.round(1 / q.scale) - over;
    const features = featuresOf(goldens[0]);
    expect(deviceAnswer(raw, manifest, 1, features)).toMatchObject({ topLabel: 'nv', risk: 'high' });
    raw[LABELS.indexOf('mel')] = 0;
    raw[LABELS.indexOf('nv')] = Math.round(1 / q.scale);
    expect(deviceAnswer(raw, manifest, 1, features)).toMatchObject({ topLabel: 'nv', risk: 'low' });
  });

  it('refuses a manifest without output quantisation or a wrong-sized output', () => {
    expect(() => outputQuantisation({ ...manifest, output: { kind: 'probabilities', dtype: {} } } as unknown as Manifest)).toThrow(/int8_quantization/);
    expect(() => deviceAnswer(new Uint8Array(5), manifest, 1)).toThrow(/7 labels/);
  });

  it('needs the features output when the bundle has a mahalanobis cannot-assess rule', () => {
    const raw = Uint8Array.from(goldens[0]!.expected.int8, (p) => Math.round(p / q.scale) + q.zeroPoint);
    const rule = { score: 'mahalanobis', threshold: 1, output: 'ood_features', dim: 2, means: LABELS.map(() => [0, 0]), int8_quantization: { scale: 0.5, zero_point: 10 } };
    const withRule = { ...manifest, ood: rule } as Manifest;
    expect(() => deviceAnswer(raw, withRule, 1, null)).toThrow(/ood_features/);
    // (q - 10) * 0.5: [0, 0] is on every mean (assessed), [2, 0] is 4 > 1 away (cannot assess)
    expect(deviceAnswer(raw, withRule, 1, Uint8Array.from([10, 10]))).toMatchObject({ outcome: 'assessed', oodScore: 0 });
    expect(deviceAnswer(raw, withRule, 1, Uint8Array.from([14, 10]))).toMatchObject({ outcome: 'cannot_assess', oodScore: 4 });
    const { ood: _drop, ...noRule } = withRule;
    expect(deviceAnswer(raw, noRule as Manifest, 1).outcome).toBeUndefined();
  });

  it("applies the int8 model's own threshold when the rule has per-variant thresholds", () => {
    expect(DEVICE_VARIANT).toBe('int8');
    const raw = Uint8Array.from(goldens[0]!.expected.int8, (p) => Math.round(p / q.scale) + q.zeroPoint);
    const base = { score: 'mahalanobis', threshold: 4, output: 'ood_features', dim: 2, means: LABELS.map(() => [0, 0]), int8_quantization: { scale: 0.5, zero_point: 10 } };
    const answerWith = (ood: object, features: number[]) => deviceAnswer(raw, { ...manifest, ood } as Manifest, 1, Uint8Array.from(features));
    // [13, 10] dequantises to [1.5, 0]: score 2.25, under the shared 4 but over an int8 threshold of 2
    const perVariant = { ...base, variant_thresholds: { h5: 4, int8: 2, fp16: 3.5 } };
    expect(answerWith(perVariant, [13, 10])).toMatchObject({ outcome: 'cannot_assess', oodScore: 2.25 });
    expect(answerWith(base, [13, 10])).toMatchObject({ outcome: 'assessed', oodScore: 2.25 });
    // only the int8 entry counts on the device: a lower h5 or fp16 threshold changes nothing here
    expect(answerWith({ ...base, variant_thresholds: { h5: 1, fp16: 1 } }, [13, 10])).toMatchObject({ outcome: 'assessed' });
    // exactly at the int8 threshold is still assessed; [12, 10] (score 1) is under it
    expect(answerWith({ ...base, variant_thresholds: { int8: 2.25 } }, [13, 10])).toMatchObject({ outcome: 'assessed', oodScore: 2.25 });
    expect(answerWith(perVariant, [12, 10])).toMatchObject({ outcome: 'assessed', oodScore: 1 });
    // an invalid variant_thresholds is refused, never silently ignored
    expect(() => answerWith({ ...base, variant_thresholds: { tflite: 1 } }, [13, 10])).toThrow(/variant_thresholds/);
  });
});
