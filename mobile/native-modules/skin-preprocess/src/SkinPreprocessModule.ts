import { requireOptionalNativeModule } from 'expo';

import type { SkinPreprocessNative } from './SkinPreprocess.types';

/** Null when the app was built without the module (Expo Go, Jest): the app then uses the TypeScript path. */
export default requireOptionalNativeModule<SkinPreprocessNative>('SkinPreprocess');
