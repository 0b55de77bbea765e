import type { SkinPreprocessNative } from './SkinPreprocess.types';

/** No native code on the web: the browser decodes and the TypeScript reference resizes (prepare.web.ts). */
const SkinPreprocess: SkinPreprocessNative | null = null;
export default SkinPreprocess;
