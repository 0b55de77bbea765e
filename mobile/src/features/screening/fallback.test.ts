import type { FallbackReason, ModelAnswer } from './engine.types';
import { compareModels, decideFallback, thresholdFor, type FallbackInput, type ModelRef } from './fallback';

const r20: ModelRef = { version: '2026.12.04-ham10000-r20', createdAt: '2026-12-04T12:00:00Z' };
const r19: ModelRef = { version: '2026.12.02-ham10000-r19', createdAt: '2026-12-02T06:01:28Z' };
// The thresholds of the r19 manifest: nv 0.2635, mel 0.8447, bkl 1.0 (always defer).
const thresholds = { akiec: 0.7556, bcc: 0.5619, bkl: 1.0, df: 0.8951, mel: 0.8447, nv: 0.2635, vasc: 0.6859 };

function answer(topLabel: ModelAnswer['topLabel'], confidence: number, risk: ModelAnswer['risk']): ModelAnswer {
  return { source: 'device', modelVersion: r20.version, probabilities: [], topLabel, confidence, risk, latencyMs: 30 };
}

const base: FallbackInput = { model: r20, serverModel: r20, answer: answer('nv', 0.9, 'low'), thresholds, userAsked: false };

type Row = [string, Partial<FallbackInput>, FallbackReason[]];
const table: Row[] = [
  ['confident low-risk nevus on the current model: answer on the device', {}, []],
  ['server model unknown (offline): no reason from it', { serverModel: null }, []],
  ['no model at all', { model: null, answer: null }, ['no_model']],
  ['model present but classification failed', { answer: null }, ['no_model']],
  ['device model older than the server active one', { model: r19, answer: answer('nv', 0.9, 'low') }, ['model_outdated']],
  ['device model newer than the server (server rolled back): fine', { model: r20, serverModel: r19 }, []],
  ['nevus just under its threshold', { answer: answer('nv', 0.2634, 'low') }, ['low_confidence']],
  ['the device cannot assess the photo: ask the server, no confidence or risk reason from a withheld verdict', { answer: { ...answer('mel', 0.1, 'high'), outcome: 'cannot_assess', oodScore: 900 } }, ['cannot_assess']],
  ['an assessed answer is judged as before', { answer: { ...answer('nv', 0.9, 'low'), outcome: 'assessed', oodScore: 12 } }, []],
  ['nevus exactly at its threshold is confident enough', { answer: answer('nv', 0.2635, 'low') }, []],
  ['a class whose threshold is 1.0 always defers', { answer: answer('bkl', 0.99, 'medium') }, ['low_confidence']],
  ['a class with no threshold in the manifest defers', { answer: answer('vasc', 0.99, 'low'), thresholds: { nv: 0.2 } }, ['low_confidence']],
  ['a manifest without thresholds defers', { thresholds: null }, ['low_confidence']],
  ['confident melanoma is high risk', { answer: answer('mel', 0.95, 'high') }, ['high_risk']],
  ['unsure melanoma: low confidence and high risk', { answer: answer('mel', 0.5, 'high') }, ['low_confidence', 'high_risk']],
  ['nevus top label but high-risk mass: high risk', { answer: answer('nv', 0.6, 'high') }, ['high_risk']],
  ['the user asks', { userAsked: true }, ['user_request']],
  [
    'every reason at once on an outdated model',
    { model: r19, answer: answer('mel', 0.4, 'high'), userAsked: true },
    ['model_outdated', 'low_confidence', 'high_risk', 'user_request'],
  ],
  ['no model, outdated unknowable, the user asks', { model: null, answer: null, userAsked: true }, ['no_model', 'user_request']],
];

describe('decideFallback', () => {
  it.each(table)('%s', (_name, patch, reasons) => {
    const decision = decideFallback({ ...base, ...patch });
    expect(decision.reasons).toEqual(reasons);
    expect(decision.askServer).toBe(reasons.length > 0);
  });
});

describe('model ordering', () => {
  it('orders by created_at, then by version', () => {
    expect(compareModels(r19, r20)).toBeLessThan(0);
    expect(compareModels(r20, r19)).toBeGreaterThan(0);
    expect(compareModels(r20, { ...r20 })).toBe(0);
    expect(compareModels({ version: 'a', createdAt: r20.createdAt }, { version: 'b', createdAt: r20.createdAt })).toBeLessThan(0);
  });

  it('reads thresholds cautiously', () => {
    expect(thresholdFor(thresholds, 'nv')).toBe(0.2635);
    expect(thresholdFor(thresholds, 'unknown')).toBe(1);
    expect(thresholdFor({ nv: 'high' }, 'nv')).toBe(1);
    expect(thresholdFor({ nv: 1.5 }, 'nv')).toBe(1);
  });
});
