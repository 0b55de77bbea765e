/**
 * Phone classifier: react-native-fast-tflite (Nitro modules; needs a dev client or an EAS build, not
 * Expo Go) running the bundle's int8 model on the CPU (the Core ML delegate takes float models only).
 * fast-tflite ignores a wrong-sized input silently, so the byte length is checked here.
 * Never imported on the web (classifier.web.ts replaces it), where it would blank the page.
 */
import { loadTensorflowModel } from 'react-native-fast-tflite';

import { deviceAnswer, splitOutputs } from './answer';
import type { Classifier, ModelAnswer } from './engine.types';
import type { InstalledModel } from './modelManager';

export async function createClassifier(model: InstalledModel): Promise<Classifier> {
  if (!model.uri) throw new Error(`Model ${model.manifest.version} has no file on this device to load.`);
  const { height, width, channels } = model.manifest.input;
  const tflite = await loadTensorflowModel({ url: model.uri }, []);
  const input = tflite.inputs[0];
  if (!input || input.dataType !== 'uint8' || input.shape.join(',') !== [1, height, width, channels].join(',')) {
    throw new Error(`Model ${model.manifest.version}: input is ${input?.dataType}[${input?.shape.join(',')}], the app needs uint8[1,${height},${width},${channels}].`);
  }
  return {
    modelVersion: model.manifest.version,
    inputSize: height,
    async classify(tensor: Uint8Array): Promise<ModelAnswer> {
      if (tensor.byteLength !== height * width * channels) {
        throw new Error(`Input has ${tensor.byteLength} bytes; the model takes ${height}x${width}x${channels} = ${height * width * channels}.`);
      }
      const started = Date.now();
      const buffer = tensor.byteOffset === 0 && tensor.byteLength === tensor.buffer.byteLength ? (tensor.buffer as ArrayBuffer) : tensor.slice().buffer;
      const outputs = await tflite.run([buffer]);
      if (!outputs.length) throw new Error('The model returned no output.');
      const { probabilities, features } = splitOutputs(outputs.map((o) => new Uint8Array(o)));
      return deviceAnswer(probabilities, model.manifest, Date.now() - started, features);
    },
    dispose() {
      // fast-tflite releases the interpreter when the hybrid object is garbage-collected.
    },
  };
}
