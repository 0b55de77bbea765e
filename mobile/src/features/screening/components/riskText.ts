/**
 * How each risk level is worded for people. The level itself always comes from the contract's risk
 * rule (on the device) or the server; this only says what it means and what to do. A result is a
 * screening aid, never a diagnosis: no wording says a lesion "is" anything.
 */
import type { RiskLevel } from '@/contract';

export const RISK_WORDING: Readonly<Record<RiskLevel, { title: string; summary: string; action: string }>> = {
  high: {
    title: 'Higher risk: have it checked soon',
    summary: 'The photo resembles a lesion type that can be malignant.',
    action: 'Book an appointment with a dermatologist soon (within two weeks), and sooner if it bleeds, grows or changes.',
  },
  medium: {
    title: 'Medium risk: show it to a clinician',
    summary: 'The photo resembles a usually benign lesion that is sometimes confused with skin cancer.',
    action: 'Ask a clinician to look at it at your next visit, and watch it for changes in size, shape or colour.',
  },
  low: {
    title: 'Lower risk: keep an eye on it',
    summary: 'The photo resembles a common benign lesion. Lower risk is not no risk.',
    action: 'Watch it for changes in size, shape, colour, itching or bleeding, and see a clinician if it changes or worries you.',
  },
};

export const FALLBACK_REASON_TEXT = {
  no_model: 'no model is ready on this device',
  model_outdated: 'the model on this device is older than the clinic’s',
  low_confidence: 'the device model was unsure',
  high_risk: 'the device model found a higher risk',
  cannot_assess: 'the device model could not assess the photo',
  user_request: 'you asked for it',
} as const;

/** "a", "a and b", "a, b and c": the fallback reasons as one sentence. */
export function joinReasons(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

export function percent(p: number): string {
  return `${(p * 100).toFixed(1)} %`;
}
