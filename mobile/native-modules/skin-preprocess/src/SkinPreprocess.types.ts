/** What the native module offers: one call, the same contract on Android and iOS. */
export interface SkinPreprocessNative {
  /**
   * Decode the image at `uri` (file:// or content://), apply its EXIF orientation, crop the centred
   * square (Pillow's integer box: an odd margin's extra pixel goes right/bottom), composite any
   * transparency on white, and resize to `size` x `size` with the port of the TypeScript
   * `resizeBilinear` (Pillow's bilinear antialias, 22-bit fixed-point coefficients).
   * Resolves with size*size*3 bytes, RGB, row-major.
   */
  preprocessAsync(uri: string, size: number): Promise<Uint8Array>;
}
