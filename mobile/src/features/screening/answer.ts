/**
 * Turning a model's raw output into a `ModelAnswer`: dequantise the int8 model's uint8 output with the
 * manifest's quantisation parameters, pick the top label, and apply the contract's risk rule with the
 * effective high-risk mass (the lower of the app default and the bundle's operating point).
 */
import { DEFAULT_HIGH_RISK_MASS, LABELS, assess, dequantizeFeatures, effectiveHighRiskMass, parseOodRule, riskLevel, type Label, type Manifest, type ModelVariant } from '@/contract';

import type { ModelAnswer } from './engine.types';

export type Quantisation = { scale: number; zeroPoint: number };

/** The int8 model's output quantisation from the manifest (`output.int8_quantization`); throws when absent. */
export function outputQuantisation(manifest: Manifest): Quantisation {
  const output = manifest.output as { int8_quantization?: { scale?: unknown; zero_point?: unknown } } | undefined;
  const q = output?.int8_quantization;
  const scale = Number(q?.scale);
  const zeroPoint = Number(q?.zero_point);
  if (!q || !Number.isFinite(scale) || scale <= 0 || !Number.isInteger(zeroPoint)) {
    throw new Error(`Model ${manifest.version}: the manifest has no usable output.int8_quantization (scale, zero_point).`);
  }
  return { scale, zeroPoint };
}

/** real = (q - zero_point) * scale, per output value. */
export function dequantise(raw: ArrayLike<number>, q: Quantisation): number[] {
  return Array.from(raw, (v) => (v - q.zeroPoint) * q.scale);
}

/** The bundle's high-risk operating point (`manifest.high_risk.mass`), if it has one. */
export function bundleHighRiskMass(manifest: Manifest): number | null {
  const mass = manifest.high_risk?.mass;
  return typeof mass === 'number' && Number.isFinite(mass) ? mass : null;
}

/** Index of the largest value (the first one on a tie, like numpy's argmax). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i += 1) if (values[i]! > values[best]!) best = i;
  return best;
}

export function answerFromProbabilities(
  probabilities: number[],
  opts: { source: ModelAnswer['source']; modelVersion: string; latencyMs: number; highRiskMass: number },
): ModelAnswer {
  if (probabilities.length !== LABELS.length) {
    throw new Error(`The model returned ${probabilities.length} values; the contract has ${LABELS.length} labels.`);
  }
  const top = argmax(probabilities);
  return {
    source: opts.source,
    modelVersion: opts.modelVersion,
    probabilities,
    topLabel: LABELS[top] as Label,
    confidence: probabilities[top]!,
    risk: riskLevel(probabilities, { highRiskMass: opts.highRiskMass }),
    latencyMs: opts.latencyMs,
  };
}

/** The bundle model the app runs on the device (native and web classifiers alike): its file, its ood threshold. */
export const DEVICE_VARIANT: ModelVariant = 'int8';

/**
 * The on-device answer for the raw uint8 outputs of the bundle's int8 model: the probabilities and, for a
 * bundle with a "cannot assess" rule on the model's second output, its uint8 `ood_features`. The rule
 * (lesion_contract.ood, ported in contract/ood.ts) decides the outcome exactly as the server does, with
 * the int8 model's own threshold (`manifest.ood.variant_thresholds.int8`, else the shared `threshold`):
 * every on-device classifier (native and web) runs the bundle's int8 file.
 */
export function deviceAnswer(raw: ArrayLike<number>, manifest: Manifest, latencyMs: number, rawFeatures?: ArrayLike<number> | null): ModelAnswer {
  const probabilities = dequantise(raw, outputQuantisation(manifest));
  const answer = answerFromProbabilities(probabilities, {
    source: 'device',
    modelVersion: manifest.version,
    latencyMs,
    highRiskMass: effectiveHighRiskMass(DEFAULT_HIGH_RISK_MASS, bundleHighRiskMass(manifest)),
  });
  const rule = parseOodRule(manifest.ood);
  if (!rule) return answer;
  if (rule.score === 'mahalanobis' && !rawFeatures) {
    throw new Error(`Model ${manifest.version}: the manifest's cannot-assess rule needs the model's ood_features output, which it did not return.`);
  }
  const features = rule.score === 'mahalanobis' && rawFeatures ? dequantizeFeatures(rule, rawFeatures) : null;
  const { outcome, score } = assess(rule, features, probabilities, DEVICE_VARIANT);
  return { ...answer, outcome, oodScore: score };
}

/**
 * The model's outputs told apart by length: the probabilities have one value per label, the second
 * output (ood_features, bundles with a cannot-assess rule) never does. The converter does not keep
 * the Keras output order, so position is not a contract.
 */
export function splitOutputs<T extends ArrayLike<number>>(outputs: readonly T[]): { probabilities: T; features: T | null } {
  const probabilities = outputs.find((o) => o.length === LABELS.length);
  if (!probabilities) throw new Error(`The model returned no output with ${LABELS.length} values.`);
  const features = outputs.find((o) => o !== probabilities) ?? null;
  return { probabilities, features };
}
