/**
 * Pure TypeScript reference of the model bundle's preprocessing spec (lesion_contract.preprocess, contract/):
 * EXIF orientation -> RGB -> centre square crop -> bilinear antialiased resize -> uint8 HxWx3.
 * It is bit-exact with Pillow's `Image.resize(resample=BILINEAR, reducing_gap=None)` (same 22-bit
 * fixed-point coefficients, horizontal pass then vertical pass), so golden vectors made by the
 * pipeline check it. The on-device native module must agree with it; decoding (JPEG) is the
 * platform's and is outside this function.
 */

export type RgbImage = { width: number; height: number; data: Uint8Array }; // RGB, row-major, 3 bytes/pixel

const PRECISION_BITS = 32 - 8 - 2;

/** Pillow's bilinear (triangle) filter. */
function bilinear(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for one axis (support 1.0, box 0..inSize). */
export function resampleCoefficients(inSize: number, outSize: number): { bounds: Int32Array; kernels: Int32Array; ksize: number } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kernels = new Int32Array(outSize * ksize);
  const pre = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx += 1) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C casts to int (truncation toward zero); the operands here are >= -0.5 so Math.trunc matches.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x += 1) {
      const w = bilinear((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x += 1) {
      const k = x < xmax && ww !== 0 ? pre[x]! / ww : 0;
      const scaled = k * (1 << PRECISION_BITS);
      kernels[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + scaled) : Math.trunc(0.5 + scaled);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, kernels, ksize };
}

function clip8(v: number): number {
  const shifted = Math.floor(v / (1 << PRECISION_BITS)); // arithmetic >> PRECISION_BITS without 32-bit overflow
  return shifted < 0 ? 0 : shifted > 255 ? 255 : shifted;
}

function resampleHorizontal(src: RgbImage, outWidth: number, rowFirst: number, rows: number): RgbImage {
  const { bounds, kernels, ksize } = resampleCoefficients(src.width, outWidth);
  const out = new Uint8Array(outWidth * rows * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < rows; y += 1) {
    const rowIn = (y + rowFirst) * src.width * 3;
    for (let xx = 0; xx < outWidth; xx += 1) {
      const xmin = bounds[xx * 2]!;
      const xmax = bounds[xx * 2 + 1]!;
      let r = half;
      let g = half;
      let b = half;
      for (let x = 0; x < xmax; x += 1) {
        const k = kernels[xx * ksize + x]!;
        const p = rowIn + (x + xmin) * 3;
        r += src.data[p]! * k;
        g += src.data[p + 1]! * k;
        b += src.data[p + 2]! * k;
      }
      const o = (y * outWidth + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return { width: outWidth, height: rows, data: out };
}

function resampleVertical(src: RgbImage, outHeight: number, bounds: Int32Array, kernels: Int32Array, ksize: number, offset: number): RgbImage {
  const out = new Uint8Array(src.width * outHeight * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outHeight; yy += 1) {
    const ymin = bounds[yy * 2]! - offset;
    const ymax = bounds[yy * 2 + 1]!;
    for (let xx = 0; xx < src.width; xx += 1) {
      let r = half;
      let g = half;
      let b = half;
      for (let y = 0; y < ymax; y += 1) {
        const k = kernels[yy * ksize + y]!;
        const p = ((y + ymin) * src.width + xx) * 3;
        r += src.data[p]! * k;
        g += src.data[p + 1]! * k;
        b += src.data[p + 2]! * k;
      }
      const o = (yy * src.width + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return { width: src.width, height: outHeight, data: out };
}

/** Pillow's ImagingResample for RGB with BILINEAR: horizontal pass over the rows needed, then vertical. */
export function resizeBilinear(src: RgbImage, width: number, height: number): RgbImage {
  const needH = width !== src.width;
  const needV = height !== src.height;
  if (!needH && !needV) return { width, height, data: src.data.slice() };
  const vert = resampleCoefficients(src.height, height);
  let image = src;
  let offset = 0;
  if (needH) {
    let first = 0;
    let rows = src.height;
    if (needV) {
      first = vert.bounds[0]!;
      const lastBound = vert.bounds[(height - 1) * 2]! + vert.bounds[(height - 1) * 2 + 1]!;
      rows = lastBound - first;
      offset = first;
    }
    image = resampleHorizontal(src, width, first, rows);
  }
  return needV ? resampleVertical(image, height, vert.bounds, vert.kernels, vert.ksize, offset) : image;
}

/** The largest centred square; an odd margin's extra pixel goes right/bottom (as in the pipeline). */
export function centerSquare(src: RgbImage): RgbImage {
  const side = Math.min(src.width, src.height);
  const left = Math.floor((src.width - side) / 2);
  const top = Math.floor((src.height - side) / 2);
  const out = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y += 1) {
    const from = ((y + top) * src.width + left) * 3;
    out.set(src.data.subarray(from, from + side * 3), y * side * 3);
  }
  return { width: side, height: side, data: out };
}

/** Apply an EXIF orientation (1-8) like PIL.ImageOps.exif_transpose. */
export function applyOrientation(src: RgbImage, orientation: number): RgbImage {
  if (orientation < 2 || orientation > 8) return src;
  const transposed = orientation >= 5; // 5-8 swap the axes
  const width = transposed ? src.height : src.width;
  const height = transposed ? src.width : src.height;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: sx = src.width - 1 - x; sy = y; break; // mirror horizontal
        case 3: sx = src.width - 1 - x; sy = src.height - 1 - y; break; // rotate 180
        case 4: sx = x; sy = src.height - 1 - y; break; // mirror vertical
        case 5: sx = y; sy = x; break; // transpose
        case 6: sx = y; sy = src.height - 1 - x; break; // rotate 90 CW
        case 7: sx = src.width - 1 - y; sy = src.height - 1 - x; break; // transverse
        default: sx = src.width - 1 - y; sy = x; break; // 8: rotate 90 CCW
      }
      const from = (sy * src.width + sx) * 3;
      const to = (y * width + x) * 3;
      out[to] = src.data[from]!;
      out[to + 1] = src.data[from + 1]!;
      out[to + 2] = src.data[from + 2]!;
    }
  }
  return { width, height, data: out };
}

/** The EXIF orientation tag of a JPEG file (1 when absent or unreadable). */
export function jpegOrientation(bytes: Uint8Array): number {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1]!;
    const length = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (marker === 0xda || length < 2) break; // start of scan: no more metadata
    const body = p + 4;
    if (marker === 0xe1 && bytes[body] === 0x45 && bytes[body + 1] === 0x78 && bytes[body + 2] === 0x69 && bytes[body + 3] === 0x66) {
      const tiff = body + 6;
      const little = bytes[tiff] === 0x49;
      const u16 = (o: number) => (little ? bytes[o]! | (bytes[o + 1]! << 8) : (bytes[o]! << 8) | bytes[o + 1]!);
      const u32 = (o: number) => (little ? (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16)) + bytes[o + 3]! * 0x1000000 : bytes[o]! * 0x1000000 + ((bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!));
      const ifd = tiff + u32(tiff + 4);
      const entries = ifd + 2 <= bytes.length ? u16(ifd) : 0;
      for (let i = 0; i < entries; i += 1) {
        const entry = ifd + 2 + i * 12;
        if (entry + 12 > bytes.length) break;
        if (u16(entry) === 0x0112) {
          const value = u16(entry + 8);
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
      return 1;
    }
    p += 2 + length;
  }
  return 1;
}

/** The whole spec on decoded RGB pixels: orient, centre-crop, resize to size x size. */
export function preprocess(decoded: RgbImage, size: number, orientation = 1): RgbImage {
  if (!Number.isInteger(size) || size <= 0) throw new Error(`size must be a positive integer, got ${size}`);
  if (decoded.data.length !== decoded.width * decoded.height * 3) throw new Error('pixel data does not match width x height x 3');
  const square = centerSquare(applyOrientation(decoded, orientation));
  return square.width === size ? square : resizeBilinear(square, size, size);
}
