/**
 * Dequantisation and the answer built from it, on the active bundle's golden int8 outputs: the bundle
 * records each golden's dequantised int8 probabilities (golden.json expected.int8); the raw uint8
 * output that produced them must dequantise back to exactly those values with the manifest's params.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { LABELS, type Manifest } from '@/contract';

import { bundleHighRiskMass, dequantise, deviceAnswer, outputQuantisation } from './answer';

const ARTIFACTS = join(__dirname, '../../../../tflite_artifacts');
const newest = readdirSync(ARTIFACTS)
  .filter((name) => existsSync(join(ARTIFACTS, name, 'golden.json')))
  .sort()
  .pop()!;
const manifest = JSON.parse(readFileSync(join(ARTIFACTS, newest, 'manifest.json'), 'utf8')) as Manifest;
const goldens = JSON.parse(readFileSync(join(ARTIFACTS, newest, 'golden.json'), 'utf8')) as { file: string; expected: { int8: number[] } }[];

describe(`answers from ${newest}'s int8 output`, () => {
  const q = outputQuantisation(manifest);

  it.each(goldens.map((g) => [g.file, g.expected.int8] as const))('%s dequantises to the bundle expectation', (_file, expected) => {
    const raw = Uint8Array.from(expected, (p) => Math.round(p / q.scale) + q.zeroPoint);
    const probabilities = dequantise(raw, q);
    probabilities.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 6));

    const answer = deviceAnswer(raw, manifest, 12.5);
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
    expect(deviceAnswer(raw, manifest, 1)).toMatchObject({ topLabel: 'nv', risk: 'high' });
    raw[LABELS.indexOf('mel')] = 0;
    raw[LABELS.indexOf('nv')] = Math.round(1 / q.scale);
    expect(deviceAnswer(raw, manifest, 1)).toMatchObject({ topLabel: 'nv', risk: 'low' });
  });

  it('refuses a manifest without output quantisation or a wrong-sized output', () => {
    expect(() => outputQuantisation({ ...manifest, output: { kind: 'probabilities', dtype: {} } } as unknown as Manifest)).toThrow(/int8_quantization/);
    expect(() => deviceAnswer(new Uint8Array(5), manifest, 1)).toThrow(/7 labels/);
  });
});
