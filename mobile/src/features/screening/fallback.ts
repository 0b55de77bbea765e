/**
 * When the app asks the server (pure, table-tested in fallback.test.ts). Every reason that applies is
 * reported, in a fixed order, so the result screen can say why the server was asked.
 */
import type { FallbackDecision, FallbackReason, ModelAnswer } from './engine.types';

/** A model's identity for ordering: newer means a later `created_at`, then a greater version string. */
export type ModelRef = { version: string; createdAt: string };

export type FallbackInput = {
  /** The on-device model in use, or null when there is none (not downloaded, failed verification, failed to load). */
  model: ModelRef | null;
  /** The server's active model when known (from the last `/models/latest`), else null. */
  serverModel: ModelRef | null;
  /** The on-device answer, or null when classification did not run or failed. */
  answer: ModelAnswer | null;
  /** The manifest's per-class thresholds (`manifest.thresholds`), or null when the model has none. */
  thresholds: Readonly<Record<string, unknown>> | null;
  /** The user asked for the server's opinion. */
  userAsked: boolean;
};

/** Order two models: negative when `a` is older than `b`, 0 when they are the same model. */
export function compareModels(a: ModelRef, b: ModelRef): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta < tb ? -1 : 1;
  if (a.version === b.version) return 0;
  return a.version < b.version ? -1 : 1;
}

/**
 * The threshold for one class: a number in [0, 1]. A class without a usable threshold is treated as
 * "always defer" (1.0), the cautious reading of a manifest that does not vouch for that class.
 */
export function thresholdFor(thresholds: Readonly<Record<string, unknown>> | null, label: string): number {
  const value = thresholds?.[label];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
}

export function decideFallback(input: FallbackInput): FallbackDecision {
  const reasons: FallbackReason[] = [];
  const usable = input.model !== null && input.answer !== null;
  if (!usable) reasons.push('no_model');
  if (input.model && input.serverModel && compareModels(input.model, input.serverModel) < 0) reasons.push('model_outdated');
  if (usable && input.answer) {
    // "cannot assess" on the device: the server (authoritative, same rule) is asked; no verdict is shown meanwhile
    if (input.answer.outcome === 'cannot_assess') reasons.push('cannot_assess');
    else {
      if (input.answer.confidence < thresholdFor(input.thresholds, input.answer.topLabel)) reasons.push('low_confidence');
      if (input.answer.risk === 'high') reasons.push('high_risk');
    }
  }
  if (input.userAsked) reasons.push('user_request');
  return { askServer: reasons.length > 0, reasons };
}
