import { createHash } from 'node:crypto';

import golden from './preprocess.golden.json';
import { applyOrientation, centerSquare, jpegOrientation, preprocess, type RgbImage } from './preprocess';

type Case = (typeof golden.cases)[number] & { expected?: number[] };

/** The same pixels as scripts/preprocess-golden.py: a 32-bit LCG, or a gradient. */
function pixels(c: Case): RgbImage {
  const n = c.width * c.height * 3;
  const data = new Uint8Array(n);
  if (c.kind === 'gradient') {
    for (let i = 0; i < n; i += 1) {
      const x = Math.floor(i / 3) % c.width;
      const y = Math.floor(Math.floor(i / 3) / c.width);
      const ch = i % 3;
      data[i] = (Math.floor((x * 255) / Math.max(c.width - 1, 1)) + Math.floor((y * 97) / Math.max(c.height - 1, 1)) * (ch + 1)) % 256;
    }
  } else {
    let state = c.seed >>> 0;
    for (let i = 0; i < n; i += 1) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = state >>> 24;
    }
  }
  return { width: c.width, height: c.height, data };
}

describe('preprocessing reference (bit-exact with the pipeline)', () => {
  it('implements the spec the golden vectors were made with', () => {
    expect(golden.spec).toMatchObject({ exif_orient: true, crop: 'center_square', resize: 'bilinear_antialias', value_range: [0, 255] });
  });

  it.each((golden.cases as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const out = preprocess(pixels(c), c.size, c.orientation);
    expect([out.width, out.height, out.data.length]).toEqual([c.size, c.size, c.size * c.size * 3]);
    if (c.expected) expect(Array.from(out.data)).toEqual(c.expected);
    expect(createHash('sha256').update(out.data).digest('hex')).toBe(c.sha256);
    if (c.orientation !== 1) {
      // The golden vector really encodes the rotation: ignoring it gives a different tensor.
      const unrotated = preprocess(pixels(c), c.size, 1);
      expect(createHash('sha256').update(unrotated.data).digest('hex')).not.toBe(c.sha256);
    }
  });

  it('crops the centred square, extra pixel of an odd margin to the right', () => {
    const img: RgbImage = { width: 3, height: 2, data: Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6]) };
    expect(Array.from(centerSquare(img).data)).toEqual([1, 1, 1, 2, 2, 2, 4, 4, 4, 5, 5, 5]);
  });

  it('rotates a portrait photo taken sideways (orientation 6) upright', () => {
    const img: RgbImage = { width: 2, height: 1, data: Uint8Array.from([10, 10, 10, 20, 20, 20]) };
    const upright = applyOrientation(img, 6);
    expect([upright.width, upright.height, Array.from(upright.data)]).toEqual([1, 2, [10, 10, 10, 20, 20, 20]]);
  });

  it('reads the EXIF orientation of a JPEG (both byte orders) and defaults to 1', () => {
    const exif = (little: boolean, value: number) => {
      const u16 = (v: number) => (little ? [v & 255, v >> 8] : [v >> 8, v & 255]);
      const u32 = (v: number) => (little ? [v & 255, (v >> 8) & 255, 0, 0] : [0, 0, (v >> 8) & 255, v & 255]);
      const tiff = [...(little ? [0x49, 0x49] : [0x4d, 0x4d]), ...u16(42), ...u32(8), ...u16(1), ...u16(0x0112), ...u16(3), ...u32(1), ...u16(value), 0, 0, ...u32(0)];
      const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
      return Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255, ...body, 0xff, 0xda, 0, 2]);
    };
    expect(jpegOrientation(exif(true, 6))).toBe(6);
    expect(jpegOrientation(exif(false, 8))).toBe(8);
    expect(jpegOrientation(exif(true, 42))).toBe(1);
    expect(jpegOrientation(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).toBe(1);
  });

  it('rejects a bad size or mismatched pixel data', () => {
    expect(() => preprocess({ width: 2, height: 2, data: new Uint8Array(12) }, 0)).toThrow(/size/);
    expect(() => preprocess({ width: 2, height: 2, data: new Uint8Array(5) }, 2)).toThrow(/pixel data/);
  });
});
