/**
 * Phone preprocessing: the native skin-preprocess module when the build has it (decode, EXIF
 * orientation, centre square, Pillow-exact resize in Kotlin/Swift; see native-modules/skin-preprocess),
 * else a TypeScript fallback: jpeg-js decodes, the reference orients, crops and resizes. The fallback
 * is correct but slow (about 3 s for a 12-megapixel photo) and reads JPEG only; it keeps Expo Go and
 * builds without the module working.
 */
import { File } from 'expo-file-system';
import { decode } from 'jpeg-js';

import SkinPreprocess from '../../../native-modules/skin-preprocess';
import type { Photo, PreparedImage } from './engine.types';
import { jpegOrientation, preprocess } from './preprocess';

function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** The TypeScript path on encoded bytes (exported for tests). */
export function prepareJpegBytes(bytes: Uint8Array, size: number): Uint8Array {
  if (!isJpeg(bytes)) throw new Error('Without the native image module the app can only read JPEG photos. Please take the photo with the camera.');
  const decoded = decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 64, maxMemoryUsageInMB: 1024 });
  const rgb = decoded.data.length === decoded.width * decoded.height * 3 ? decoded.data : stripAlpha(decoded.data, decoded.width * decoded.height);
  return preprocess({ width: decoded.width, height: decoded.height, data: rgb }, size, jpegOrientation(bytes)).data;
}

function stripAlpha(rgba: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i += 1) {
    out[i * 3] = rgba[i * 4]!;
    out[i * 3 + 1] = rgba[i * 4 + 1]!;
    out[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return out;
}

export async function preparePhoto(photo: Photo, size: number): Promise<PreparedImage> {
  const started = Date.now();
  let tensor: Uint8Array;
  if (SkinPreprocess) {
    tensor = await SkinPreprocess.preprocessAsync(photo.uri, size);
  } else {
    let bytes: Uint8Array;
    try {
      bytes = await new File(photo.uri).bytes();
    } catch {
      throw new Error('The photo could not be read. Please take or choose it again.');
    }
    tensor = prepareJpegBytes(bytes, size);
  }
  if (tensor.length !== size * size * 3) throw new Error(`Preprocessing gave ${tensor.length} bytes, expected ${size * size * 3}.`);
  return { tensor, size, preprocessMs: Date.now() - started };
}
