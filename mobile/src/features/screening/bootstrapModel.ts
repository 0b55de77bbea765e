/**
 * The model shipped inside the phone app: assets/model/ (copied from the active bundle by
 * scripts/copy-bootstrap-model.mjs, which `prestart`/`eas-build-post-install` run; `.tflite` is a Metro
 * asset extension in metro.config.js). The requires run only when the bootstrap is first needed.
 */
import { Asset } from 'expo-asset';
import { File } from 'expo-file-system';

import type { BootstrapSource } from './modelManager';

export const bootstrapSource: BootstrapSource = {
  async load() {
    try {
      /* eslint-disable @typescript-eslint/no-require-imports -- generated at build time, required lazily */
      const manifest = require('../../../assets/model/manifest.json') as unknown;
      const asset = Asset.fromModule(require('../../../assets/model/model_int8.tflite') as number);
      /* eslint-enable @typescript-eslint/no-require-imports */
      await asset.downloadAsync();
      if (!asset.localUri) return null;
      const file = new File(asset.localUri);
      return { manifestText: JSON.stringify(manifest), bytes: await file.bytes(), uri: file.uri };
    } catch (error) {
      console.warn('[models] no bootstrap model in this build', error);
      return null;
    }
  },
};
