// The skin-preprocess Expo module: photo URI -> uint8 RGB tensor per the model bundle's preprocessing spec.
export { default } from './src/SkinPreprocessModule';
export type { SkinPreprocessNative } from './src/SkinPreprocess.types';
