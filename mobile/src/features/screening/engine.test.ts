/**
 * screenPhoto end to end inside the app's code, with the platform pieces replaced at their boundary:
 * preprocessing and the classifier (native/WASM), storage (sql.js instead of expo-sqlite, memory
 * instead of files), the server (a fake behind global fetch, reached through the real API client).
 * Asserts what the result screen shows: both answers and the disagreement flag online when the policy
 * asks the server, the device answer queued when offline, a device-only answer that still syncs.
 */
import { createHash } from 'node:crypto';

import { PREPROCESSING_SPEC } from '@/contract';
import { fakeServer, signedIn, type FakeServer } from '@/test/utils';

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
/** What the fake on-device model answers next (uint8 output codes, 1/256 each). */
let mockOutput: number[] = [];

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
jest.mock('./outboxStorage', () => {
  const { SqlOutboxStore, SqlPhotoVault } = jest.requireActual('./outboxStore');
  return {
    openOutboxStorage: async () => {
      const SQL = await jest.requireActual('sql.js')();
      const db = new SQL.Database();
      const sql = {
        execAsync: async (source: string) => void db.exec(source),
        runAsync: async (source: string, params: never) => void db.run(source, params),
        getAllAsync: async (source: string, params: never) => {
          const stmt = db.prepare(source);
          stmt.bind(params);
          const rows: unknown[] = [];
          while (stmt.step()) rows.push(stmt.getAsObject());
          stmt.free();
          return rows;
        },
      };
      const store = new SqlOutboxStore(sql);
      return { store, vault: new SqlPhotoVault(sql, store, async () => new Uint8Array([0xff, 0xd8, 0xff])) };
    },
  };
});

// Loaded after the mocks above.
// eslint-disable-next-line import/first
import { getClassifier, flushOutbox, modelManager, screenPhoto } from './engine';

const probs = (nv: number, mel: number, bkl: number) => ({ akiec: 0.01, bcc: 0.01, bkl, df: 0.01, mel, nv, vasc: 1 - (0.03 + bkl + mel + nv) });

function screeningOut(p: Record<string, number>, top: string, risk: 'high' | 'medium' | 'low', id = 'a3f1c2d4-0000-4000-8000-000000000001') {
  return {
    id,
    client_uuid: null,
    owner_id: 7,
    source: 'online',
    captured_at: '2026-12-04T10:00:00Z',
    created_at: '2026-12-04T10:00:01Z',
    body_site: '',
    note: '',
    photo_url: `/api/v1/screenings/${id}/photo`,
    photo_width: 600,
    photo_height: 450,
    model_version: mockManifest.version,
    model_synthetic: false,
    labels: mockManifest.labels,
    probabilities: p,
    top_label: top,
    top_label_display: top,
    risk,
    recommended_action: `server action for ${risk}`,
    disclaimer: 'Screening aid only, not a diagnosis. (server)',
    server_latency_ms: 110,
    device: null,
  };
}

let server: FakeServer;

beforeEach(async () => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  server = fakeServer();
  server.on('GET', '/api/v1/models/latest', { status: 404, body: { detail: 'No model version is active.', code: 'no_active_model' } });
  await signedIn();
});

const photo = { uri: 'blob:http://app/photo-1', mimeType: 'image/jpeg' };
const codes = (p: number[]) => p.map((v) => Math.round(v * 256));

describe('screenPhoto', () => {
  it('answers on the device and syncs in the background when the policy does not ask the server', async () => {
    // nv 0.8 (over its 0.26 threshold), high-risk classes 0.03: low risk, confident.
    mockOutput = codes([0.01, 0.01, 0.05, 0.01, 0.01, 0.8, 0.11]);
    server.on('POST', '/api/v1/screenings/sync', () => ({ status: 200, body: { created: 1, duplicates: 0, errors: 0, results: [{ index: 0, client_uuid: null, status: 'created', screening: screeningOut(probs(0.8, 0.01, 0.05), 'nv', 'low'), error: null }] } }));

    const outcome = await screenPhoto(photo);

    expect(outcome).toMatchObject({ kind: 'done', server: null, disagreement: false, fallback: { askServer: false, reasons: [] } });
    if (outcome.kind !== 'done') throw new Error('unreachable');
    expect(outcome.device).toMatchObject({ source: 'device', topLabel: 'nv', risk: 'low', modelVersion: mockManifest.version });
    expect(outcome.device!.latencyMs).toBe(25); // inference 20 + preprocessing 5
    expect(outcome.recommendedAction).toMatch(/common benign lesion/);
    expect(outcome.disclaimer).toMatch(/^Screening aid only, not a diagnosis/);
    await flushOutbox();
    expect(server.calls.filter((c) => c.path === '/api/v1/screenings/sync').length).toBeGreaterThanOrEqual(1);
  });

  it('asks the server for a high-risk result and shows both answers, flagging a disagreement', async () => {
    // Melanoma on the device; the server's model of record says nevus.
    mockOutput = codes([0.02, 0.02, 0.03, 0.01, 0.6, 0.3, 0.02]);
    server.on('POST', '/api/v1/screenings', { status: 201, body: screeningOut(probs(0.7, 0.1, 0.05), 'nv', 'low') });

    const outcome = await screenPhoto(photo, { bodySite: ' back ', note: 'itchy' });

    if (outcome.kind !== 'done') throw new Error(`expected done, got ${outcome.kind}`);
    expect(outcome.fallback.reasons).toEqual(['low_confidence', 'high_risk']);
    expect(outcome.device).toMatchObject({ topLabel: 'mel', risk: 'high' });
    expect(outcome.server).toMatchObject({ source: 'server', topLabel: 'nv', risk: 'low', latencyMs: 110 });
    expect(outcome.disagreement).toBe(true);
    expect(outcome.screeningId).toBe('a3f1c2d4-0000-4000-8000-000000000001');
    expect(outcome.recommendedAction).toBe('server action for low');
    const post = server.calls.find((c) => c.method === 'POST' && c.path === '/api/v1/screenings')!;
    expect(post.headers['Idempotency-Key']).toBe(outcome.clientUuid);
  });

  it('queues the screening with the device answer when the server is unreachable', async () => {
    mockOutput = codes([0.02, 0.02, 0.03, 0.01, 0.6, 0.3, 0.02]);
    server.on('POST', '/api/v1/screenings', () => 'offline');

    const outcome = await screenPhoto(photo, { askServer: true });

    expect(outcome).toMatchObject({ kind: 'queued', device: { topLabel: 'mel', risk: 'high' } });
    if (outcome.kind !== 'queued') throw new Error('unreachable');
    expect(outcome.fallback.reasons).toContain('user_request');
  });

  it('knows its model is outdated once the server announces a newer one', async () => {
    mockOutput = codes([0.01, 0.01, 0.05, 0.01, 0.01, 0.8, 0.11]);
    modelManager().serverModel = { version: '2026.12.09-ham10000-r21', createdAt: '2026-12-09T00:00:00Z' };
    server.on('POST', '/api/v1/screenings', { status: 201, body: screeningOut(probs(0.8, 0.01, 0.05), 'nv', 'low') });

    const outcome = await screenPhoto(photo);

    expect(outcome).toMatchObject({ kind: 'done', disagreement: false, fallback: { reasons: ['model_outdated'] } });
    modelManager().serverModel = null;
  });

  it('starts the classifier for the model it loaded', async () => {
    const classifier = await getClassifier();
    expect(classifier.modelVersion).toBe(mockManifest.version);
  });
});
