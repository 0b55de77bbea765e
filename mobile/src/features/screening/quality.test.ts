import { checkQuality, laplacianVariance, lumaOf, QUALITY_THRESHOLDS, RETAKE_ADVICE } from './quality';

const SIZE = 176;
const SKIN: [number, number, number] = [214, 170, 150];
const LESION: [number, number, number] = [92, 58, 44];

/** Deterministic pseudo-random texture (an LCG), so "skin" is not perfectly flat. */
function texture(seed = 7) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648 - 0.5) * 8; // +-4 levels
  };
}

function image(paint: (x: number, y: number) => [number, number, number], noise = true): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE * 3);
  const rand = texture();
  for (let y = 0; y < SIZE; y += 1) {
    for (let x = 0; x < SIZE; x += 1) {
      const rgb = paint(x, y);
      const n = noise ? rand() : 0;
      for (let c = 0; c < 3; c += 1) out[(y * SIZE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round((rgb[c] ?? 0) + n)));
    }
  }
  return out;
}

/** A hard-edged dark disc on skin, centred at (cx, cy) as fractions of the side. */
function blob(cx: number, cy: number, radius: number): Uint8Array {
  return image((x, y) => (Math.hypot(x - cx * SIZE, y - cy * SIZE) <= radius ? LESION : SKIN));
}

function uniform(value: number): Uint8Array {
  return new Uint8Array(SIZE * SIZE * 3).fill(value);
}

/** Separable box blur of the given radius, applied `passes` times (close to a Gaussian). */
function blurred(src: Uint8Array, radius: number, passes: number): Uint8Array {
  let cur = Float32Array.from(src);
  for (let p = 0; p < passes; p += 1) {
    for (const horizontal of [true, false]) {
      const next = new Float32Array(cur.length);
      for (let y = 0; y < SIZE; y += 1) {
        for (let x = 0; x < SIZE; x += 1) {
          for (let c = 0; c < 3; c += 1) {
            let sum = 0;
            let n = 0;
            for (let k = -radius; k <= radius; k += 1) {
              const xx = horizontal ? x + k : x;
              const yy = horizontal ? y : y + k;
              if (xx < 0 || yy < 0 || xx >= SIZE || yy >= SIZE) continue;
              sum += cur[(yy * SIZE + xx) * 3 + c] ?? 0;
              n += 1;
            }
            next[(y * SIZE + x) * 3 + c] = sum / n;
          }
        }
      }
      cur = next;
    }
  }
  return Uint8Array.from(cur, (v) => Math.round(v));
}

describe('checkQuality', () => {
  it('passes a sharp, centred dark lesion on skin', () => {
    const report = checkQuality(blob(0.5, 0.5, 30), SIZE);
    expect(report.issues).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.lesionOffset).toBeLessThan(0.02);
    expect(report.centreContrast).toBeGreaterThan(50); // the centre is darker than the border
  });

  it('passes a centred lesion without any skin texture (sharpness comes from its edge)', () => {
    const flat = image((x, y) => (Math.hypot(x - 88, y - 88) <= 30 ? LESION : SKIN), false);
    expect(checkQuality(flat, SIZE).issues).toEqual([]);
  });

  it('refuses a black frame as too dark', () => {
    const report = checkQuality(uniform(0), SIZE);
    expect(report.issues).toEqual(['too_dark']);
    expect(report.ok).toBe(false);
  });

  it('refuses a dim photo of a good lesion as too dark, and only that', () => {
    const dim = blob(0.5, 0.5, 30).map((v) => Math.round(v * 0.12));
    expect(checkQuality(dim, SIZE).issues).toEqual(['too_dark']);
  });

  it('refuses an over-exposed photo of a good lesion as too bright', () => {
    const glare = blob(0.5, 0.5, 30).map((v) => Math.min(255, Math.round(v * 2.2)));
    expect(checkQuality(glare, SIZE).issues).toEqual(['too_bright']);
  });

  it('refuses a white frame as too bright', () => {
    const report = checkQuality(uniform(255), SIZE);
    expect(report.issues).toEqual(['too_bright']);
  });

  it('refuses uniform grey: nothing in focus and no lesion to see', () => {
    const report = checkQuality(uniform(128), SIZE);
    expect(report.issues).toEqual(['too_blurry', 'off_centre']);
    expect(report.sharpness).toBe(0);
    expect(Number.isNaN(report.lesionOffset)).toBe(true);
  });

  it('refuses a blurred photo of a centred lesion as too blurry, and only that', () => {
    const soft = blurred(blob(0.5, 0.5, 30), 3, 3);
    const report = checkQuality(soft, SIZE);
    expect(report.issues).toEqual(['too_blurry']);
    expect(report.sharpness).toBeLessThan(QUALITY_THRESHOLDS.minSharpness);
  });

  it('refuses a lesion in the corner as not centred, and only that', () => {
    const report = checkQuality(blob(0.22, 0.22, 18), SIZE);
    expect(report.issues).toEqual(['off_centre']);
    expect(report.lesionOffset).toBeGreaterThan(QUALITY_THRESHOLDS.maxLesionOffset);
  });

  it('ignores a dermatoscope vignette: black corners around a centred lesion still pass', () => {
    const lens = image((x, y) => {
      const r = Math.hypot(x - 88, y - 88);
      if (r > 0.5 * SIZE) return [3, 3, 3];
      return r <= 26 ? LESION : SKIN;
    });
    expect(checkQuality(lens, SIZE).issues).toEqual([]);
  });

  it('applies the thresholds it is given', () => {
    const good = blob(0.5, 0.5, 30);
    const strict = { ...QUALITY_THRESHOLDS, minSharpness: 1e9 };
    expect(checkQuality(good, SIZE, strict).issues).toEqual(['too_blurry']);
  });

  it('refuses a tensor of the wrong size with a clear message', () => {
    expect(() => checkQuality(new Uint8Array(10), SIZE)).toThrow(/176x176x3/);
  });

  it('has retake advice for every issue', () => {
    for (const issue of ['too_dark', 'too_bright', 'too_blurry', 'off_centre'] as const) {
      expect(RETAKE_ADVICE[issue].advice.length).toBeGreaterThan(20);
    }
  });
});

describe('laplacianVariance', () => {
  it('is zero on a flat image and grows with detail', () => {
    expect(laplacianVariance(lumaOf(uniform(90), SIZE), SIZE)).toBe(0);
    const fine = laplacianVariance(lumaOf(blob(0.5, 0.5, 30), SIZE), SIZE);
    const soft = laplacianVariance(lumaOf(blurred(blob(0.5, 0.5, 30), 2, 2), SIZE), SIZE);
    expect(fine).toBeGreaterThan(soft * 5);
  });
});
