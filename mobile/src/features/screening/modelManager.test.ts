/**
 * The model manager against a local fake of the server's delivery endpoints (signed manifest,
 * Range downloads): good bundle, bad signature, wrong sha256, truncated download resumed with Range,
 * older manifest refused, replayed and expired manifests refused, the server's deliberate rollback
 * installed, offline start on the cached model (also after its manifest expired), rollback, bootstrap fallback.
 */
import { createHash, randomBytes } from 'node:crypto';

import * as ed from '@noble/ed25519';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';

import { PREPROCESSING_SPEC } from '@/contract';

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
    input: { height: 176, width: 176, channels: 3, preprocessing: { ...PREPROCESSING_SPEC } },
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
  /** When the server signs the manifest (default: now) and for how long it is accepted (default 24 h). */
  issuedAt?: Date;
  ttlMs?: number;
  /** Sign the bare manifest, as servers did before manifests carried freshness. */
  noDelivery?: boolean;
};

const DAY = 24 * 3600 * 1000;

function fakeServer(b: Bundle, knobs: Knobs = {}) {
  const ranges: string[] = [];
  let fileRequests = 0;
  const issued = knobs.issuedAt ?? new Date();
  const delivery = { version: b.manifest.version, issued_at: issued.toISOString(), expires_at: new Date(issued.getTime() + (knobs.ttlMs ?? DAY)).toISOString() };
  const payload = canonical(knobs.noDelivery ? b.manifest : { ...b.manifest, delivery });
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

function manager(store: ModelStore, server: { fetch: typeof fetch }, boot: Bundle | null = null, keys = [serverPublic], now?: () => Date) {
  return new ModelManager({ store, bootstrap: shipped(boot), baseUrl: BASE, publicKeys: keys, fetch: server.fetch, chunkBytes: 1000, retries: 2, sleep: async () => undefined, now });
}

const ago = (ms: number) => new Date(Date.now() - ms);

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

  it('refuses a manifest for a version older than the bootstrap model it has', async () => {
    // The shipped model has no signed issue time: it is ordered by version
    const store = newStore();
    const server = fakeServer(r19);
    const back = manager(store, server, r20);

    const result = await back.checkForUpdate();

    expect(result).toMatchObject({ kind: 'refused', reason: 'older' });
    expect(server.fileRequests()).toBe(0);
    expect((await back.current())?.manifest.version).toBe(r20.version);
    await expect(manager(store, fakeServer(r20), r20).checkForUpdate()).resolves.toEqual({ kind: 'up_to_date', version: r20.version });
  });

  it('is up to date when the same version comes in a newer manifest', async () => {
    const store = newStore();
    await manager(store, fakeServer(r20, { issuedAt: ago(3600_000) }), null).checkForUpdate();
    const server = fakeServer(r20);
    await expect(manager(store, server, null).checkForUpdate()).resolves.toEqual({ kind: 'up_to_date', version: r20.version });
    expect(server.fileRequests()).toBe(0);
  });

  it('refuses a replayed older-issued manifest, even for a version it would otherwise accept', async () => {
    // Given the phone installed r20 from a manifest issued an hour ago
    const store = newStore();
    await expect(manager(store, fakeServer(r20, { issuedAt: ago(3600_000) }), r19).checkForUpdate()).resolves.toMatchObject({ kind: 'installed' });
    // When an attacker replays a still-unexpired r19 manifest captured two hours ago
    const replay = fakeServer(r19, { issuedAt: ago(2 * 3600_000) });
    const mm = manager(store, replay, null);
    const result = await mm.checkForUpdate();
    // Then it is refused as a replay, nothing is downloaded and r20 stays
    expect(result).toMatchObject({ kind: 'refused', reason: 'replayed' });
    expect(replay.fileRequests()).toBe(0);
    expect((await mm.current())?.manifest.version).toBe(r20.version);
    expect(await store.readPointer()).toEqual({ active: r20.version, previous: null });
  });

  it("installs the server's deliberate rollback: an older version in a later-issued manifest", async () => {
    // Given r20 installed from a manifest issued an hour ago
    const store = newStore();
    await manager(store, fakeServer(r20, { issuedAt: ago(3600_000) }), null).checkForUpdate();
    // When the server rolls back to r19 on purpose and signs it now
    const mm = manager(store, fakeServer(r19), null);
    const result = await mm.checkForUpdate();
    // Then r19 is installed and r20 kept as the previous model
    expect(result).toEqual({ kind: 'installed', version: r19.version });
    expect((await mm.current())?.manifest.version).toBe(r19.version);
    expect(await store.readPointer()).toEqual({ active: r19.version, previous: r20.version });
    expect(mm.serverModel?.version).toBe(r19.version);
    // And a replay of the r20 manifest issued before the rollback is now refused
    await expect(manager(store, fakeServer(r20, { issuedAt: ago(3600_000) }), null).checkForUpdate()).resolves.toMatchObject({ kind: 'refused', reason: 'replayed' });
  });

  it('refuses an expired manifest and downloads nothing', async () => {
    // Given a signed manifest that expired a minute ago (issued 25 h ago, accepted for 24 h)
    const store = newStore();
    const server = fakeServer(r20, { issuedAt: ago(DAY + 3600_000), ttlMs: DAY });
    const mm = manager(store, server, r19);
    // When the app checks for an update
    const result = await mm.checkForUpdate();
    // Then it is refused as expired and the bootstrap model stays
    expect(result).toMatchObject({ kind: 'refused', reason: 'expired' });
    expect(server.fileRequests()).toBe(0);
    expect(await store.readPointer()).toBeNull();
    expect((await mm.current())?.manifest.version).toBe(r19.version);
  });

  it('judges expiry by its clock: the same manifest is accepted before it expires', async () => {
    const issuedAt = new Date('2026-12-04T10:00:00Z');
    const late = manager(newStore(), fakeServer(r20, { issuedAt, ttlMs: 3600_000 }), r19, [serverPublic], () => new Date('2026-12-04T11:00:00Z'));
    await expect(late.checkForUpdate()).resolves.toMatchObject({ kind: 'refused', reason: 'expired' });
    const early = manager(newStore(), fakeServer(r20, { issuedAt, ttlMs: 3600_000 }), r19, [serverPublic], () => new Date('2026-12-04T10:59:59Z'));
    await expect(early.checkForUpdate()).resolves.toEqual({ kind: 'installed', version: r20.version });
  });

  it('refuses a signed manifest without freshness (no issue time or expiry)', async () => {
    const server = fakeServer(r20, { noDelivery: true });
    const mm = manager(newStore(), server, r19);
    await expect(mm.checkForUpdate()).resolves.toMatchObject({ kind: 'refused', reason: 'bad_manifest' });
    expect(server.fileRequests()).toBe(0);
  });

  it('keeps screening offline with an installed model after its manifest expired', async () => {
    // Given r20 installed from a manifest accepted for one hour
    const store = newStore();
    const issuedAt = new Date('2026-12-04T10:00:00Z');
    await manager(store, fakeServer(r20, { issuedAt, ttlMs: 3600_000 }), r19, [serverPublic], () => new Date('2026-12-04T10:05:00Z')).checkForUpdate();
    // When the app starts offline a week later
    const offline = manager(store, fakeServer(r20, { offline: true }), r19, [serverPublic], () => new Date('2026-12-11T10:00:00Z'));
    const model = await offline.current();
    // Then the verified model is still loaded and used
    expect(model).toMatchObject({ source: 'downloaded', issuedAt: '2026-12-04T10:00:00.000Z' });
    expect(model?.manifest.version).toBe(r20.version);
    expect(offline.state).toMatchObject({ state: 'ready', source: 'downloaded' });
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

  it('refuses a manifest that expects preprocessing this app does not implement (key order does not matter)', async () => {
    const newer = bundle('2026.12.09-x', '2026-12-09T00:00:00Z');
    newer.manifest.input = { height: 176, width: 176, channels: 3, preprocessing: { ...PREPROCESSING_SPEC, colour_constancy: 'shades_of_grey' } };
    const refused = manager(newStore(), fakeServer(newer), r19);
    await expect(refused.checkForUpdate()).resolves.toMatchObject({ kind: 'refused', reason: 'bad_manifest' });
    const reordered = bundle('2026.12.09-y', '2026-12-09T00:00:00Z');
    reordered.manifest.input = { channels: 3, width: 176, height: 176, preprocessing: Object.fromEntries(Object.entries(PREPROCESSING_SPEC).reverse()) };
    const accepted = manager(newStore(), fakeServer(reordered), r19);
    await expect(accepted.checkForUpdate()).resolves.toMatchObject({ kind: 'installed' });
  });

  it('refuses a manifest whose "cannot assess" rule is malformed, and installs a valid one', async () => {
    const bad = bundle('2026.12.09-x', '2026-12-09T00:00:00Z');
    bad.manifest.ood = { score: 'msp', threshold: 0.6, variant_thresholds: { int8: 'high' } };
    const refused = manager(newStore(), fakeServer(bad), r19);
    await expect(refused.checkForUpdate()).resolves.toMatchObject({ kind: 'refused', reason: 'bad_manifest' });
    const good = bundle('2026.12.09-y', '2026-12-09T00:00:00Z');
    good.manifest.ood = { score: 'msp', threshold: 0.6, variant_thresholds: { h5: 0.6, int8: 0.5, fp16: 0.6 } };
    const accepted = manager(newStore(), fakeServer(good), r19);
    await expect(accepted.checkForUpdate()).resolves.toMatchObject({ kind: 'installed' });
  });
});
