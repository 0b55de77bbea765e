/**
 * The "cannot assess" rule, ported by hand from contract/src/lesion_contract/ood.py. ood.test.ts runs
 * every row of the generated OOD_RULE_CASES (computed by the Python rule) and the bundle's golden
 * ood scores, so the app applies exactly the server's rule.
 *
 * mahalanobis: the model's second output `ood_features` holds whitened pooled features; the score is
 * the squared distance to the nearest class mean (summed in index order). msp: 1 - the top probability.
 * The outcome is `cannot_assess` when the score is strictly above the threshold of the model variant
 * that computed it (or not finite); a bundle without `manifest.ood` is always `assessed`. A
 * cannot-assess result shows no class verdict. `variant_thresholds` (optional) gives a variant its own
 * threshold (`thresholdFor`), else `threshold` applies; the app passes 'int8' (its on-device model).
 */
import { LABELS, MODEL_VARIANTS, OOD_SCORES, type ModelVariant, type OodRuleJson, type Outcome } from './generated';

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Problems of a manifest.ood block (empty when valid); mirrors lesion_contract.ood.check_ood. */
export function checkOodRule(raw: unknown): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return ['ood must be an object'];
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (!OOD_SCORES.includes(r.score as never)) problems.push(`ood.score must be one of ${OOD_SCORES.join(', ')}`);
  if (!isNumber(r.threshold)) problems.push('ood.threshold must be a finite number');
  const vt = r.variant_thresholds;
  if (
    vt !== undefined &&
    vt !== null &&
    (typeof vt !== 'object' ||
      Array.isArray(vt) ||
      !Object.keys(vt).every((k) => MODEL_VARIANTS.includes(k as never)) ||
      !Object.values(vt).every(isNumber))
  ) {
    problems.push(`ood.variant_thresholds must map some of ${MODEL_VARIANTS.join(', ')} to finite numbers`);
  }
  if (r.score === 'mahalanobis') {
    const dim = r.dim;
    if (r.output !== 'ood_features') problems.push("ood.output must be 'ood_features' for the mahalanobis score");
    if (!Number.isInteger(dim) || (dim as number) < 1 || dim === LABELS.length) problems.push('ood.dim must be a positive integer other than 7');
    const means = r.means;
    if (
      !Array.isArray(means) ||
      means.length !== LABELS.length ||
      !means.every((row) => Array.isArray(row) && row.length === dim && row.every(isNumber))
    ) {
      problems.push('ood.means must be 7 rows of ood.dim numbers');
    }
    const q = r.int8_quantization as Record<string, unknown> | undefined;
    if (!q || typeof q !== 'object' || !isNumber(q.scale) || q.scale <= 0 || !Number.isInteger(q.zero_point)) {
      problems.push('ood.int8_quantization must hold a positive scale and an int zero_point');
    }
  }
  return problems;
}

/** manifest.ood typed, or null when the bundle has no rule (r20 and older); throws on an invalid rule. */
export function parseOodRule(raw: unknown): OodRuleJson | null {
  if (raw === undefined || raw === null) return null;
  const problems = checkOodRule(raw);
  if (problems.length) throw new RangeError(`invalid ood rule: ${problems.join('; ')}`);
  return raw as OodRuleJson;
}

/** The int8 model's uint8 ood_features as floats: (q - zero_point) * scale. */
export function dequantizeFeatures(rule: OodRuleJson, raw: ArrayLike<number>): number[] {
  const q = rule.int8_quantization;
  if (!q) throw new RangeError('this rule has no int8 quantisation for its features');
  return Array.from(raw, (v) => (v - q.zero_point) * q.scale);
}

/** The rule's score for one screening (`features`: float ood_features, dequantised for int8). */
export function oodScore(rule: OodRuleJson, features: readonly number[] | null, probabilities: readonly number[]): number {
  if (rule.score === 'msp') {
    if (probabilities.length !== LABELS.length) throw new RangeError(`probabilities must have ${LABELS.length} values`);
    return 1 - Math.max(...probabilities);
  }
  if (!features) throw new RangeError('the mahalanobis score needs the model ood_features output');
  const means = rule.means ?? [];
  if (features.length !== rule.dim) throw new RangeError(`ood_features must have ${String(rule.dim)} values, got ${features.length}`);
  let best = Number.POSITIVE_INFINITY;
  for (const mean of means) {
    let total = 0;
    for (let j = 0; j < features.length; j += 1) {
      const d = (features[j] as number) - (mean[j] as number);
      total += d * d;
    }
    best = Math.min(best, total);
  }
  return best;
}

/** The threshold the `variant` model's scores are compared with: its own from variant_thresholds, else `threshold`. */
export function thresholdFor(rule: OodRuleJson, variant: ModelVariant): number {
  if (!MODEL_VARIANTS.includes(variant)) throw new RangeError(`variant must be one of ${MODEL_VARIANTS.join(', ')}, got ${String(variant)}`);
  const own = rule.variant_thresholds?.[variant];
  return own === undefined || own === null ? rule.threshold : own;
}

/** cannot_assess when the score is above the `variant`'s threshold or not finite; assessed without a rule. */
export function outcomeFor(rule: OodRuleJson | null, score: number | null, variant: ModelVariant): Outcome {
  if (!rule) return 'assessed';
  if (score === null || !Number.isFinite(score) || score > thresholdFor(rule, variant)) return 'cannot_assess';
  return 'assessed';
}

/**
 * {outcome, score} for one screening by the `variant` model (the app's on-device model: 'int8'); a
 * bundle without a rule gives {assessed, null}.
 */
export function assess(
  rule: OodRuleJson | null,
  features: readonly number[] | null,
  probabilities: readonly number[],
  variant: ModelVariant,
): { outcome: Outcome; score: number | null } {
  if (!rule) return { outcome: 'assessed', score: null };
  const score = oodScore(rule, features, probabilities);
  return { outcome: outcomeFor(rule, score, variant), score };
}
