/**
 * Preprocessing parity on the active bundle's golden images (the newest bundle in tflite_artifacts/):
 * PNG goldens, decoded losslessly, must give exactly the bundle's `tensor_sha256` through the
 * TypeScript reference (the same centerSquare + resizeBilinear the web path uses after the browser
 * decodes). JPEG decoders differ between platforms: the phones' TypeScript fallback (jpeg-js) is held
 * to a tolerance against Pillow's tensor (block means from scripts/preprocess-jpeg-reference.py);
 * the browser's decode is checked bit for bit by the end-to-end test.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PNG } from 'pngjs';

import reference from './golden-jpeg.reference.json';
import { prepareJpegBytes } from './prepare';
import { preprocess } from './preprocess';

type Golden = { file: string; sha256: string; tensor_sha256: string; shape: number[] };

const ARTIFACTS = join(__dirname, '../../../../tflite_artifacts');
const bundles = readdirSync(ARTIFACTS)
  .filter((name) => existsSync(join(ARTIFACTS, name, 'golden.json')))
  .sort();
const bundle = join(ARTIFACTS, bundles[bundles.length - 1]!);
const size = (JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { input: { height: number } }).input.height;
const goldens = JSON.parse(readFileSync(join(bundle, 'golden.json'), 'utf8')) as Golden[];
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** RGBA from pngjs -> RGB, transparency composited on white like the pipeline's to_rgb. */
function pngRgb(bytes: Buffer) {
  const png = PNG.sync.read(bytes);
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i += 1) {
    const a = png.data[i * 4 + 3]!;
    for (let c = 0; c < 3; c += 1) {
      const v = png.data[i * 4 + c]!;
      rgb[i * 3 + c] = a === 255 ? v : Math.round((v * a + 255 * (255 - a)) / 255);
    }
  }
  return { width: png.width, height: png.height, data: rgb };
}

function worstBlockDifference(out: Uint8Array, ref: { grid: number; block_means: number[] }): number {
  const block = Math.floor(size / ref.grid);
  let worst = 0;
  for (let by = 0; by < ref.grid; by += 1) {
    for (let bx = 0; bx < ref.grid; bx += 1) {
      for (let c = 0; c < 3; c += 1) {
        let sum = 0;
        for (let y = by * block; y < (by + 1) * block; y += 1) for (let x = bx * block; x < (bx + 1) * block; x += 1) sum += out[(y * size + x) * 3 + c]!;
        worst = Math.max(worst, Math.abs(sum / (block * block) - ref.block_means[(by * ref.grid + bx) * 3 + c]!));
      }
    }
  }
  return worst;
}

describe(`golden images of ${bundles[bundles.length - 1]}`, () => {
  it('has goldens of both kinds', () => {
    expect(goldens.some((g) => g.file.endsWith('.png'))).toBe(true);
    expect(goldens.some((g) => g.file.endsWith('.jpg'))).toBe(true);
  });

  it.each(goldens.filter((g) => g.file.endsWith('.png')).map((g) => [g.file, g] as const))('%s: bit-identical tensor', (_f, g) => {
    const bytes = readFileSync(join(bundle, g.file));
    expect(sha(bytes)).toBe(g.sha256);
    const out = preprocess(pngRgb(bytes), size);
    expect([out.width, out.height]).toEqual([g.shape[0], g.shape[1]]);
    expect(sha(out.data)).toBe(g.tensor_sha256);
  });

  it.each(goldens.filter((g) => g.file.endsWith('.jpg')).map((g) => [g.file, g] as const))('%s: phone fallback within tolerance of Pillow', (_f, g) => {
    const bytes = new Uint8Array(readFileSync(join(bundle, g.file)));
    const ref = (reference.images as Record<string, { grid: number; block_means: number[] } | undefined>)[g.sha256];
    if (!ref) throw new Error(`No reference for ${g.file} (${g.sha256}): run .venv/bin/python mobile/scripts/preprocess-jpeg-reference.py`);
    const out = prepareJpegBytes(bytes, size);
    expect(out.length).toBe(size * size * 3);
    // Measured: jpeg-js vs Pillow's libjpeg differs by well under one level on a block mean (max 9 on one pixel).
    expect(worstBlockDifference(out, ref)).toBeLessThan(1);
    // The tolerance still catches a geometry mistake: the mirrored tensor is far off.
    const mirrored = new Uint8Array(out.length);
    for (let y = 0; y < size; y += 1) for (let x = 0; x < size; x += 1) mirrored.set(out.subarray((y * size + x) * 3, (y * size + x) * 3 + 3), (y * size + (size - 1 - x)) * 3);
    expect(worstBlockDifference(mirrored, ref)).toBeGreaterThan(3);
  });
});
