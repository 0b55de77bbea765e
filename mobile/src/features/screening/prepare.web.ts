/**
 * Web preprocessing: the browser decodes (`createImageBitmap`, which already applies the EXIF
 * orientation - do not rotate again), a canvas gives the centre square's RGBA pixels, and the
 * TypeScript reference resizes them (Pillow-exact). Transparent pixels are composited on white, as
 * the pipeline's `to_rgb` does. Gives tensors bit-identical to the pipeline's on the bundle goldens.
 */
import type { Photo, PreparedImage } from './engine.types';
import { resizeBilinear, type RgbImage } from './preprocess';

type Canvas2D = { drawImage(image: ImageBitmap, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): ImageData; fillStyle: unknown; fillRect(x: number, y: number, w: number, h: number): void };

function canvas(width: number, height: number): Canvas2D {
  if (typeof OffscreenCanvas !== 'undefined') {
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx as unknown as Canvas2D;
  }
  const el = document.createElement('canvas');
  el.width = width;
  el.height = height;
  const ctx = el.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser cannot read image pixels (no 2D canvas).');
  return ctx as unknown as Canvas2D;
}

/** The centred square (integer box, odd margin's extra pixel right/bottom) as RGB, from RGBA pixels. */
export function rgbOfSquare(rgba: Uint8ClampedArray, side: number): RgbImage {
  const data = new Uint8Array(side * side * 3);
  for (let i = 0, o = 0; o < data.length; i += 4, o += 3) {
    data[o] = rgba[i]!;
    data[o + 1] = rgba[i + 1]!;
    data[o + 2] = rgba[i + 2]!;
  }
  return { width: side, height: side, data };
}

export async function preparePhoto(photo: Photo, size: number): Promise<PreparedImage> {
  const started = performance.now();
  let blob: Blob;
  try {
    blob = await (await fetch(photo.uri)).blob();
  } catch {
    throw new Error('The photo could not be read. Please take or choose it again.');
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error('This file is not an image the browser can read (use a JPEG or PNG photo).');
  }
  try {
    const side = Math.min(bitmap.width, bitmap.height);
    if (side < 1) throw new Error('The photo is empty.');
    const left = Math.floor((bitmap.width - side) / 2);
    const top = Math.floor((bitmap.height - side) / 2);
    const ctx = canvas(side, side);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, side, side);
    ctx.drawImage(bitmap, -left, -top);
    const square = rgbOfSquare(ctx.getImageData(0, 0, side, side).data, side);
    const out = side === size ? square : resizeBilinear(square, size, size);
    return { tensor: out.data, size, preprocessMs: performance.now() - started };
  } finally {
    bitmap.close();
  }
}
