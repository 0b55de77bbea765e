/** The model shipped with the web build: public/bootstrap-model/ (copied by scripts/copy-bootstrap-model.mjs). */
import type { BootstrapSource } from './modelManager';

export const bootstrapSource: BootstrapSource = {
  async load() {
    const base = `${typeof window !== 'undefined' ? window.location.origin : ''}/bootstrap-model/`;
    try {
      const manifestResponse = await fetch(`${base}manifest.json`);
      if (!manifestResponse.ok) return null;
      const manifestText = await manifestResponse.text();
      const entry = (JSON.parse(manifestText) as { files?: { name: string; variant?: string | null }[] }).files?.find((f) => f.variant === 'int8');
      if (!entry) return null;
      const modelResponse = await fetch(`${base}${entry.name}`);
      if (!modelResponse.ok) return null;
      return { manifestText, bytes: new Uint8Array(await modelResponse.arrayBuffer()), uri: null };
    } catch {
      return null;
    }
  },
};
