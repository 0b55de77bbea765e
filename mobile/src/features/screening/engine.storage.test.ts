/**
 * Opening the outbox's storage can fail for a moment (on the web, expo-sqlite's OPFS file is still held
 * by the page a quick reload replaced: "cannot create file"). The engine retries with a short backoff,
 * and a failure is not kept: the next capture tries again, so later screenings taken offline are queued.
 */
import { createHash } from 'node:crypto';

import type * as Api from '@/api';
import { PREPROCESSING_SPEC } from '@/contract';
import { fakeServer, tokensFor, user } from '@/test/utils';

import type * as Engine from './engine';

const mockModelBytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const mockManifest = {
  schema_version: 1,
  version: '2026.12.04-ham10000-r20',
  created_at: '2026-12-04T12:00:00Z',
  synthetic: false,
  disclaimer: 'Screening aid only, not a diagnosis.',
  labels: ['akiec', 'bcc', 'bkl', 'df', 'mel', 'nv', 'vasc'],
  input: { height: 176, width: 176, channels: 3, preprocessing: { ...PREPROCESSING_SPEC } },
  output: { kind: 'probabilities', int8_quantization: { scale: 0.00390625, zero_point: 0 } },
  files: [{ name: 'model_int8.tflite', size: 8, sha256: createHash('sha256').update(mockModelBytes).digest('hex'), variant: 'int8' }],
  thresholds: { akiec: 0.75, bcc: 0.56, bkl: 1.0, df: 0.9, mel: 0.84, nv: 0.26, vasc: 0.69 },
  high_risk: { mass: 0.2 },
};
/** A confident, low-risk nevus (uint8 output codes, 1/256 each). */
const mockOutput = [0.01, 0.01, 0.05, 0.01, 0.01, 0.8, 0.11].map((p) => Math.round(p * 256));
/** How many of the next attempts to open the storage fail, and how many were made. */
let mockOpenFailures = 0;
let mockOpenAttempts = 0;

jest.mock('./bootstrapModel', () => ({
  bootstrapSource: { load: async () => ({ manifestText: JSON.stringify(mockManifest), bytes: mockModelBytes.slice(), uri: 'file:///model.tflite' }) },
}));
jest.mock('./modelStore', () => ({ createModelStore: () => new (jest.requireActual('./modelStore.memory').MemoryModelStore)() }));
jest.mock('./prepare', () => ({
  preparePhoto: jest.fn(async (_photo: unknown, size: number) => ({ tensor: new Uint8Array(size * size * 3), size, preprocessMs: 5 })),
}));
jest.mock('./classifier', () => ({
  createClassifier: jest.fn(async (model: { manifest: typeof mockManifest }) => {
    const { deviceAnswer } = jest.requireActual('./answer');
    return { modelVersion: model.manifest.version, inputSize: 176, classify: async () => deviceAnswer(Uint8Array.from(mockOutput), model.manifest, 20), dispose() {} };
  }),
}));
jest.mock('./outboxStorage', () => ({
  openOutboxStorage: async () => {
    mockOpenAttempts += 1;
    if (mockOpenFailures > 0) {
      mockOpenFailures -= 1;
      throw new Error('cannot create file');
    }
    return jest.requireActual('@/test/outboxStorage').memoryOutboxStorage();
  },
}));

const photo = { uri: 'blob:http://app/photo-1', mimeType: 'image/jpeg' };

/** A fresh engine (its storage not yet opened), signed in, with the server unreachable. */
async function offlineEngine(): Promise<typeof Engine> {
  jest.resetModules();
  const engine = jest.requireActual<typeof Engine>('./engine');
  const server = fakeServer();
  server.on('GET', '/api/v1/models/latest', () => 'offline');
  server.on('POST', '/api/v1/screenings', () => 'offline');
  server.on('POST', '/api/v1/screenings/sync', () => 'offline');
  await jest.requireActual<typeof Api>('@/api').api.setTokens(tokensFor(user.id));
  return engine;
}

beforeEach(() => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  mockOpenAttempts = 0;
});

describe('outbox storage that cannot be opened at once', () => {
  it('queues a screening taken offline when the storage opens on a later attempt', async () => {
    mockOpenFailures = 2;
    const engine = await offlineEngine();

    const outcome = await engine.screenPhoto(photo, { askServer: true });

    expect(outcome).toMatchObject({ kind: 'queued', device: { topLabel: 'nv', risk: 'low' } });
    expect(mockOpenAttempts).toBe(3);
    expect(await engine.countUnsentScreenings()).toBe(1);
  });

  it('tries again at the next capture after every attempt failed, and then queues it', async () => {
    mockOpenFailures = 5;
    const engine = await offlineEngine();

    // Given a storage that stays locked through the whole backoff (200 ms, 500 ms, 1 s, 2 s: real time)
    const lost = await engine.screenPhoto(photo, { askServer: true });

    // the user is told that this one could not be kept
    expect(lost).toMatchObject({ kind: 'done', serverError: expect.stringMatching(/cannot keep the screening/) });
    expect(mockOpenAttempts).toBe(5);

    // When the next screening is taken, the storage is opened again, and it is queued.
    const next = await engine.screenPhoto(photo, { askServer: true });

    expect(next).toMatchObject({ kind: 'queued' });
    expect(mockOpenAttempts).toBe(6);
    expect(await engine.countUnsentScreenings()).toBe(1);
  });
});
