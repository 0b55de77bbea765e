/**
 * Web classifier: LiteRT.js (@litertjs/core) running the bundle's int8 model on WASM. The package and
 * its WASM files are loaded only when the first screening needs them (dynamic import; the WASM is
 * served by our own server from /litert/, copied there by scripts/copy-litert-wasm.mjs), so the rest
 * of the app stays light.
 */
import { deviceAnswer, splitOutputs } from './answer';
import type { Classifier, ModelAnswer } from './engine.types';
import type { InstalledModel } from './modelManager';

type LiteRt = typeof import('@litertjs/core');

let runtime: Promise<LiteRt> | null = null;

/** Where the WASM files are served: the app's origin + /litert/ (EXPO_PUBLIC_LITERT_WASM_URL overrides). */
export function wasmUrl(): string {
  const fromEnv = process.env.EXPO_PUBLIC_LITERT_WASM_URL;
  if (fromEnv) return fromEnv.endsWith('/') ? fromEnv : `${fromEnv}/`;
  const origin = typeof window !== 'undefined' && window.location ? window.location.origin : '';
  return `${origin}/litert/`;
}

function loadRuntime(): Promise<LiteRt> {
  if (!runtime) {
    runtime = (async () => {
      const litert = await import('@litertjs/core');
      await litert.loadLiteRt(wasmUrl());
      return litert;
    })();
    runtime.catch(() => {
      runtime = null;
    });
  }
  return runtime;
}

export async function createClassifier(model: InstalledModel): Promise<Classifier> {
  const litert = await loadRuntime();
  const { height, width, channels } = model.manifest.input;
  const compiled = await litert.loadAndCompile(model.bytes, { accelerator: 'wasm' });
  const [input] = compiled.getInputDetails();
  const shape = input ? Array.from(input.shape) : [];
  if (!input || input.dtype !== 'uint8' || shape.join(',') !== [1, height, width, channels].join(',')) {
    compiled.delete();
    throw new Error(`Model ${model.manifest.version}: input is ${input?.dtype}[${shape.join(',')}], the app needs uint8[1,${height},${width},${channels}].`);
  }
  let disposed = false;
  return {
    modelVersion: model.manifest.version,
    inputSize: height,
    async classify(tensor: Uint8Array): Promise<ModelAnswer> {
      if (disposed) throw new Error('This classifier was disposed.');
      if (tensor.byteLength !== height * width * channels) {
        throw new Error(`Input has ${tensor.byteLength} bytes; the model takes ${height}x${width}x${channels} = ${height * width * channels}.`);
      }
      const started = performance.now();
      const inputTensor = new litert.Tensor(tensor as Uint8Array<ArrayBuffer>, [1, height, width, channels]);
      let outputs: InstanceType<LiteRt['Tensor']>[] = [];
      try {
        outputs = await compiled.run([inputTensor]);
        const raws: Uint8Array[] = [];
        for (const t of outputs) {
          const raw = t.toTypedArray();
          if (!(raw instanceof Uint8Array)) throw new Error('The model did not return uint8 outputs.');
          raws.push(raw);
        }
        const { probabilities, features } = splitOutputs(raws);
        return deviceAnswer(probabilities, model.manifest, performance.now() - started, features);
      } finally {
        inputTensor.delete();
        outputs.forEach((t) => t.delete());
      }
    },
    dispose() {
      if (!disposed) compiled.delete();
      disposed = true;
    },
  };
}
