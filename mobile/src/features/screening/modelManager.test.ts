/**
 * The model manager against a local fake of the server's delivery endpoints (signed manifest,
 * Range downloads): good bundle, bad signature, wrong sha256, truncated download resumed with Range,
 * older manifest refused, offline start on the cached model, rollback, bootstrap fallback.
 */
import { createHash, randomBytes } from 'node:crypto';

import * as ed from '@noble/ed25519';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';

import { hex } from './integrity';
import { ModelManager, type BootstrapSource } from './modelManager';
import { MemoryModelStore } from './modelStore.memory';
import type { ModelStore } from './modelStore.types';
import { IndexedDbModelStore } from './modelStore.web';

const BASE = 'http://server.test';

/** Sorted keys, no whitespace: the server's signing.canonical_json. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

const serverKey = ed.utils.randomSecretKey();
const serverPublic = ed.getPublicKey(serverKey);
const otherKey = ed.utils.randomSecretKey();

type Bundle = { manifest: Record<string, unknown>; model: Uint8Array };

function bundle(version: string, createdAt: string, size = 5000): Bundle & { version: string } {
  const model = new Uint8Array(randomBytes(size));
  const manifest = {
    schema_version: 1,
    version,
    created_at: createdAt,
    synthetic: false,
    disclaimer: 'Screening aid only, not a diagnosis.',
    labels: ['akiec', 'bcc', 'bkl', 'df', 'mel', 'nv', 'vasc'],
    input: { height: 176, width: 176, channels: 3, preprocessing: {} },
    output: { kind: 'probabilities', int8_quantization: { scale: 0.00390625, zero_point: 0 } },
    files: [
      { name: 'manifest-extra.txt', size: 3, sha256: 'a'.repeat(64), variant: null },
      { name: 'model_int8.tflite', size: model.length, sha256: createHash('sha256').update(model).digest('hex'), variant: 'int8' },
    ],
    thresholds: { nv: 0.3 },
    high_risk: { mass: 0.2 },
  };
  return { manifest, model, version };
}

type Knobs = {
  signWith?: Uint8Array;
  /** Serve these bytes instead of the real model (a tampered file). */
  serveBytes?: Uint8Array;
  /** Answer at most this many file requests, then act as if the network dropped. */
  dropAfterRequests?: number;
  /** Cut the body of the request with this index (0-based) short, to this many bytes. */
  truncate?: { request: number; bytes: number };
  offline?: boolean;
};

function fakeServer(b: Bundle, knobs: Knobs = {}) {
  const ranges: string[] = [];
  let fileRequests = 0;
  const payload = canonical(b.manifest);
  const fetchImpl = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    if (knobs.offline) throw new TypeError('Network request failed');
    const url = new URL(String(input));
    if (url.pathname === '/api/v1/models/latest') {
      const signature = ed.sign(new TextEncoder().encode(payload), knobs.signWith ?? serverKey);
      const files = (b.manifest.files as { name: string }[]).map((f) => ({ ...f, url: `${BASE}/api/v1/models/${String(b.manifest.version)}/files/${f.name}` }));
      return new Response(JSON.stringify({ version: b.manifest.version, manifest: b.manifest, signed_payload: payload, signature: b64(signature), files }), { status: 200 });
    }
    if (url.pathname.endsWith('/files/model_int8.tflite')) {
      const index = fileRequests;
      fileRequests += 1;
      if (knobs.dropAfterRequests !== undefined && index >= knobs.dropAfterRequests) throw new TypeError('Network request failed');
      const headers = (init?.headers ?? {}) as Record<string, string>;
      const data = knobs.serveBytes ?? b.model;
      const match = /^bytes=(\d+)-(\d+)$/.exec(headers.Range ?? '');
      ranges.push(headers.Range ?? '');
      if (!match) return new Response(data.slice(), { status: 200 });
      const start = Number(match[1]);
      const end = Math.min(Number(match[2]), data.length - 1);
      if (start >= data.length) return new Response('{}', { status: 416 });
      let body = data.slice(start, end + 1);
      if (knobs.truncate?.request === index) body = body.slice(0, knobs.truncate.bytes);
      return new Response(body, { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${data.length}` } });
    }
    return new Response(JSON.stringify({ detail: 'Not found', code: 'not_found' }), { status: 404 });
  });
  return { fetch: fetchImpl as unknown as typeof fetch, ranges, fileRequests: () => fileRequests };
}

function shipped(b: Bundle | null): BootstrapSource {
  return { load: async () => (b ? { manifestText: JSON.stringify(b.manifest), bytes: b.model.slice(), uri: null } : null) };
}

function manager(store: ModelStore, server: { fetch: typeof fetch }, boot: Bundle | null = null, keys = [serverPublic]) {
  return new ModelManager({ store, bootstrap: shipped(boot), baseUrl: BASE, publicKeys: keys, fetch: server.fetch, chunkBytes: 1000, retries: 2, sleep: async () => undefined });
}

const r19 = bundle('2026.12.02-ham10000-r19', '2026-12-02T06:01:28Z');
const r20 = bundle('2026.12.04-ham10000-r20', '2026-12-04T12:00:00Z');
const r21 = bundle('2026.12.05-ham10000-r21', '2026-12-05T12:00:00Z');

/** Flip one byte of an installed file through the store's own API (staging + promote). */
async function corrupt(store: ModelStore, version: string, name: string) {
  const bytes = (await store.readFile(version, name))!;
  bytes[0] = bytes[0]! ^ 1;
  await store.discardStaged(version);
  await store.appendStaged(version, name, bytes);
  await store.promote(version, (await store.readRecord(version))!, [name]);
}

const stores: [string, () => ModelStore][] = [
  ['memory', () => new MemoryModelStore()],
  ['IndexedDB (web)', () => new IndexedDbModelStore(new IDBFactory())],
];

describe.each(stores)('model manager on %s storage', (_name, newStore) => {
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  it('installs a good signed bundle in 1 KiB Range chunks and uses it', async () => {
    const store = newStore();
    const server = fakeServer(r20);
    const mm = manager(store, server, r19);
    expect((await mm.current())?.manifest.version).toBe(r19.version);

    await expect(mm.checkForUpdate()).resolves.toEqual({ kind: 'installed', version: r20.version });

    const model = await mm.current();
    expect(model?.source).toBe('downloaded');
    expect(model?.manifest.version).toBe(r20.version);
    expect(hex(model!.bytes)).toBe(hex(r20.model));
    expect(server.ranges.slice(0, 2)).toEqual(['bytes=0-999', 'bytes=1000-1999']);
    expect(server.ranges).toHaveLength(5);
    expect(mm.state).toMatchObject({ state: 'ready', source: 'downloaded' });
    expect(await store.readPointer()).toEqual({ active: r20.version, previous: null });
  });

  it('refuses a manifest signed with another key and keeps the current model', async () => {
    const store = newStore();
    const server = fakeServer(r20, { signWith: otherKey });
    const mm = manager(store, server, r19);

    const result = await mm.checkForUpdate();

    expect(result).toMatchObject({ kind: 'refused', reason: 'bad_signature' });
    expect(server.fileRequests()).toBe(0);
    expect(await store.readPointer()).toBeNull();
    expect((await mm.current())?.manifest.version).toBe(r19.version);
  });

  it('refuses updates when the build pins no key', async () => {
    const mm = manager(newStore(), fakeServer(r20), r19, []);
    await expect(mm.checkForUpdate()).resolves.toMatchObject({ kind: 'refused', reason: 'no_pinned_key' });
    // The server's newer model is still known, so screenings ask the server.
    expect(mm.serverModel?.version).toBe(r20.version);
  });

  it('discards a download whose sha256 differs from the signed manifest and never loads it', async () => {
    const store = newStore();
    const tampered = r20.model.slice();
    tampered[1234] = tampered[1234]! ^ 0xff;
    const mm = manager(store, fakeServer(r20, { serveBytes: tampered }), r19);

    await expect(mm.checkForUpdate()).resolves.toMatchObject({ kind: 'refused', reason: 'checksum' });

    expect(await store.readPointer()).toBeNull();
    expect(await store.installedVersions()).toEqual([]);
    expect(await store.stagedLength(r20.version, 'model_int8.tflite')).toBe(0);
    expect((await mm.current())?.manifest.version).toBe(r19.version);
  });

  it('resumes a truncated download with Range from the bytes it already has', async () => {
    const store = newStore();
    // First attempt: a short body on the second request, then the network drops for good.
    const first = fakeServer(r20, { truncate: { request: 1, bytes: 300 }, dropAfterRequests: 3 });
    const mm1 = manager(store, first, r19);

    await expect(mm1.checkForUpdate()).resolves.toMatchObject({ kind: 'offline' });
    expect(first.ranges).toEqual(['bytes=0-999', 'bytes=1000-1999', 'bytes=1300-2299']);
    expect(await store.stagedLength(r20.version, 'model_int8.tflite')).toBe(2300);
    expect(await store.readPointer()).toBeNull();

    // The app restarts; the next check continues where the last one stopped.
    const second = fakeServer(r20);
    const mm2 = manager(store, second, r19);
    await expect(mm2.checkForUpdate()).resolves.toEqual({ kind: 'installed', version: r20.version });
    expect(second.ranges[0]).toBe('bytes=2300-3299');
    expect(hex((await mm2.current())!.bytes)).toBe(hex(r20.model));
  });

  it('refuses a manifest older than the model it has', async () => {
    const store = newStore();
    const mm = manager(store, fakeServer(r20), r19);
    await mm.checkForUpdate();

    const back = manager(store, fakeServer(r19), null);
    const result = await back.checkForUpdate();

    expect(result).toMatchObject({ kind: 'refused', reason: 'older' });
    expect((await back.current())?.manifest.version).toBe(r20.version);
    await expect(manager(store, fakeServer(r20), null).checkForUpdate()).resolves.toEqual({ kind: 'up_to_date', version: r20.version });
  });

  it('starts offline on the cached model', async () => {
    const store = newStore();
    await manager(store, fakeServer(r20), null).checkForUpdate();

    const offline = manager(store, fakeServer(r20, { offline: true }), null);
    const model = await offline.current();

    expect(model).toMatchObject({ source: 'downloaded' });
    expect(model?.manifest.version).toBe(r20.version);
    await expect(offline.checkForUpdate()).resolves.toMatchObject({ kind: 'offline' });
  });

  it('keeps the previous model for rollback, and falls back to it when the active file is damaged', async () => {
    const store = newStore();
    await manager(store, fakeServer(r20), null).checkForUpdate();
    await manager(store, fakeServer(r21), null).checkForUpdate();
    expect(await store.readPointer()).toEqual({ active: r21.version, previous: r20.version });

    // The active file changes on disk: it fails verification and is never loaded.
    await corrupt(store, r21.version, 'model_int8.tflite');
    const restarted = manager(store, fakeServer(r21, { offline: true }), r19);
    expect((await restarted.current())?.manifest.version).toBe(r20.version);

    const mm = manager(store, fakeServer(r21, { offline: true }), null);
    await expect(mm.rollback()).resolves.toBe(true);
    expect(await store.readPointer()).toEqual({ active: r20.version, previous: null });
  });

  it('uses the bootstrap model until a download arrives, and none when the shipped file is damaged', async () => {
    const bad = { ...r19, model: r19.model.slice(0, 100) };
    const mm = manager(newStore(), fakeServer(r20, { offline: true }), bad);
    expect(await mm.current()).toBeNull();
    expect(mm.state).toMatchObject({ state: 'error' });
  });

  it('refuses a manifest whose labels differ from the contract', async () => {
    const odd = bundle('2026.12.09-x', '2026-12-09T00:00:00Z');
    odd.manifest.labels = ['nv', 'mel'];
    const mm = manager(newStore(), fakeServer(odd), r19);
    await expect(mm.checkForUpdate()).resolves.toMatchObject({ kind: 'refused', reason: 'bad_manifest' });
  });
});
