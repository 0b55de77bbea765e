/**
 * The on-device model's life cycle: pick a verified model at start (the downloaded active one, its
 * predecessor, or the bootstrap model shipped with the app), check `/api/v1/models/latest`, verify
 * the Ed25519 signature of the manifest against the key pinned in the app, download the int8 file
 * with HTTP Range resume and retries into staging, verify its size and sha256, and only then install
 * it and flip the pointer (the previous model stays for rollback). Nothing unverified is ever loaded:
 * installed files are re-hashed every time they are loaded.
 *
 * Freshness: the signed text carries `delivery: {version, issued_at, expires_at}`. A new download is
 * refused when its manifest has expired or was issued before the manifest of the installed model (a
 * replay of an older signed manifest); a later-issued manifest for an older version is the server's
 * deliberate rollback and is installed. Expiry only limits new downloads: an installed, verified model
 * keeps screening offline however old its manifest is.
 */
import { checkOodRule, LABELS, PREPROCESSING_SPEC, type Manifest, type ManifestFile } from '@/contract';

import { DEVICE_VARIANT, outputQuantisation } from './answer';
import type { ModelState } from './engine.types';
import { compareModels, type ModelRef } from './fallback';
import { sha256Hex, verifySignature } from './integrity';
import type { ModelStore } from './modelStore.types';

/** A model ready for a classifier: manifest, verified int8 bytes, and a file URI where there are files. */
export type InstalledModel = {
  manifest: Manifest;
  source: 'bootstrap' | 'downloaded';
  file: ManifestFile;
  bytes: Uint8Array;
  uri: string | null;
  /** When the server issued the signed manifest this model was installed from; null for the bootstrap model and pre-freshness installs. */
  issuedAt: string | null;
};

/** The freshness the server signs with every manifest (see server/screening/delivery.py). */
export type Delivery = { version: string; issuedAt: string; expiresAt: string };

/** The model that ships inside the app (see scripts/copy-bootstrap-model.mjs). */
export interface BootstrapSource {
  load(): Promise<{ manifestText: string; bytes: Uint8Array; uri: string | null } | null>;
}

export type UpdateResult =
  | { kind: 'installed'; version: string }
  | { kind: 'up_to_date'; version: string }
  | { kind: 'none_active' }
  | { kind: 'offline'; detail: string }
  | { kind: 'refused'; reason: 'no_pinned_key' | 'bad_signature' | 'bad_manifest' | 'older' | 'expired' | 'replayed' | 'size' | 'checksum'; detail: string }
  | { kind: 'failed'; detail: string };

type SignedManifestResponse = {
  version?: unknown;
  signed_payload?: unknown;
  signature?: unknown;
  files?: { name?: unknown; url?: unknown }[];
};

export type ModelManagerOptions = {
  store: ModelStore;
  bootstrap: BootstrapSource;
  baseUrl: string;
  publicKeys: readonly Uint8Array[];
  fetch?: typeof fetch;
  /** Bytes per Range request (default 1 MiB): a dropped connection costs at most one chunk. */
  chunkBytes?: number;
  /** Consecutive failed requests tolerated per download before giving up until the next check. */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
};

/** JSON with object keys sorted, so two specs compare by content, not key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as Record<string, unknown>).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const SAFE_NAME = /^(?!.*\.\.)[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Parse and check a manifest the app can run: the contract's labels, a square RGB input, an int8 file. */
export function parseManifest(text: string): { manifest: Manifest; file: ManifestFile } {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw new Error('The model manifest is not valid JSON.');
  }
  if (!manifest || typeof manifest !== 'object' || typeof manifest.version !== 'string' || typeof manifest.created_at !== 'string') {
    throw new Error('The model manifest has no version or created_at.');
  }
  if (!Array.isArray(manifest.labels) || manifest.labels.join(',') !== LABELS.join(',')) {
    throw new Error(`Model ${manifest.version}: labels ${JSON.stringify(manifest.labels)} differ from the app's ${JSON.stringify(LABELS)}.`);
  }
  const { height, width, channels } = manifest.input ?? ({} as Manifest['input']);
  if (!Number.isInteger(height) || height <= 0 || height !== width || channels !== 3) {
    throw new Error(`Model ${manifest.version}: the app needs a square RGB input, the manifest says ${height}x${width}x${channels}.`);
  }
  // A model that expects other preprocessing (e.g. a colour correction a newer pipeline adds) would install and
  // then judge every photo prepared the wrong way, without an error: refuse it until the app implements it.
  if (canonical(manifest.input.preprocessing) !== canonical(PREPROCESSING_SPEC)) {
    throw new Error(`Model ${manifest.version}: its preprocessing ${JSON.stringify(manifest.input.preprocessing)} is not the one this app implements; update the app.`);
  }
  const file = (manifest.files ?? []).find((f) => f.variant === DEVICE_VARIANT);
  if (!file || typeof file.name !== 'string' || !SAFE_NAME.test(file.name) || !Number.isInteger(file.size) || file.size <= 0 || !/^[0-9a-f]{64}$/.test(String(file.sha256))) {
    throw new Error(`Model ${manifest.version}: the manifest lists no valid int8 model file.`);
  }
  outputQuantisation(manifest);
  // A malformed "cannot assess" rule would install and then fail every on-device screening: refuse it here.
  const ood = (manifest as { ood?: unknown }).ood;
  if (ood !== undefined && ood !== null) {
    const problems = checkOodRule(ood);
    if (problems.length) throw new Error(`Model ${manifest.version}: invalid "cannot assess" rule (${problems.join('; ')}).`);
  }
  return { manifest, file };
}

/** The signed `delivery` of a manifest text, or null when it has none (bootstrap, older servers) or it is malformed. */
export function parseDelivery(text: string): Delivery | null {
  let raw: unknown;
  try {
    raw = (JSON.parse(text) as { delivery?: unknown }).delivery;
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const { version, issued_at: issuedAt, expires_at: expiresAt } = raw as Record<string, unknown>;
  if (typeof version !== 'string' || typeof issuedAt !== 'string' || typeof expiresAt !== 'string') return null;
  if (!Number.isFinite(Date.parse(issuedAt)) || !Number.isFinite(Date.parse(expiresAt))) return null;
  return { version, issuedAt, expiresAt };
}

/**
 * Whether a verified manifest may start a new download, given the installed model: null when it may,
 * else why not. Times are compared as instants; `issued_at` is compared with the server's own earlier
 * `issued_at`, so the phone's clock only matters for the expiry.
 */
export function freshnessProblem(delivery: Delivery, manifest: Manifest, current: InstalledModel | null, now: Date): { reason: 'expired' | 'replayed'; detail: string } | null {
  if (Date.parse(delivery.expiresAt) <= now.getTime()) {
    return { reason: 'expired', detail: `The manifest for ${manifest.version} expired at ${delivery.expiresAt}; the next check fetches a fresh one.` };
  }
  if (current?.issuedAt) {
    const issued = Date.parse(delivery.issuedAt);
    const installed = Date.parse(current.issuedAt);
    const sameVersion = current.manifest.version === manifest.version;
    if (issued < installed || (issued === installed && !sameVersion)) {
      return { reason: 'replayed', detail: `The manifest for ${manifest.version} was issued at ${delivery.issuedAt}, before the one installed (${current.manifest.version}, ${current.issuedAt}): refused as a replay.` };
    }
  }
  return null;
}

export function modelRef(manifest: Manifest): ModelRef {
  return { version: manifest.version, createdAt: manifest.created_at };
}

async function verifiedBytes(bytes: Uint8Array | null, file: ManifestFile): Promise<Uint8Array> {
  if (!bytes) throw new Error(`${file.name} is missing.`);
  if (bytes.length !== file.size) throw new Error(`${file.name} has ${bytes.length} bytes; the manifest says ${file.size}.`);
  const digest = await sha256Hex(bytes);
  if (digest !== file.sha256.toLowerCase()) throw new Error(`${file.name} does not match its sha256 in the manifest.`);
  return bytes;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  get retryable() {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

type Listener = () => void;

export class ModelManager {
  private readonly store: ModelStore;
  private readonly bootstrap: BootstrapSource;
  private readonly baseUrl: string;
  private readonly publicKeys: readonly Uint8Array[];
  private readonly fetchImpl: typeof fetch;
  private readonly chunkBytes: number;
  private readonly retries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;
  private loading: Promise<InstalledModel | null> | null = null;
  private updating: Promise<UpdateResult> | null = null;
  private listeners = new Set<Listener>();
  /** The server's active model as last seen on `/models/latest` (null until then). */
  serverModel: ModelRef | null = null;
  state: ModelState = { state: 'loading' };

  constructor(options: ModelManagerOptions) {
    this.store = options.store;
    this.bootstrap = options.bootstrap;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.publicKeys = options.publicKeys;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.chunkBytes = options.chunkBytes ?? 1024 * 1024;
    this.retries = options.retries ?? 4;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? (() => new Date());
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(state: ModelState) {
    this.state = state;
    this.listeners.forEach((l) => l());
  }

  /** The model to use now (verified), loading it on first use; null when no model is usable. */
  current(): Promise<InstalledModel | null> {
    if (!this.loading) {
      this.loading = this.loadBest().then(
        (model) => {
          this.setState(model ? { state: 'ready', manifest: model.manifest, source: model.source } : { state: 'error', error: 'No usable on-device model: screenings go to the server.' });
          return model;
        },
        (error: unknown) => {
          this.setState({ state: 'error', error: error instanceof Error ? error.message : String(error) });
          return null;
        },
      );
    }
    return this.loading;
  }

  /** Load an installed version, re-verifying its signature, manifest and file. */
  private async loadInstalled(version: string): Promise<InstalledModel> {
    const record = await this.store.readRecord(version);
    if (!record) throw new Error(`Model ${version} is not installed.`);
    if (!verifySignature(record.signedPayload, record.signature, this.publicKeys)) throw new Error(`Model ${version}: signature does not verify with the pinned key.`);
    const { manifest, file } = parseManifest(record.signedPayload);
    if (manifest.version !== version) throw new Error(`Model ${version}: its manifest says ${manifest.version}.`);
    const bytes = await verifiedBytes(await this.store.readFile(version, file.name), file);
    // No expiry check here: an installed model keeps working offline after its manifest expired.
    const issuedAt = parseDelivery(record.signedPayload)?.issuedAt ?? null;
    return { manifest, file, bytes, source: 'downloaded', uri: await this.store.fileUri(version, file.name), issuedAt };
  }

  private async loadBootstrap(): Promise<InstalledModel | null> {
    const shipped = await this.bootstrap.load();
    if (!shipped) return null;
    const { manifest, file } = parseManifest(shipped.manifestText);
    const bytes = await verifiedBytes(shipped.bytes, file);
    return { manifest, file, bytes, source: 'bootstrap', uri: shipped.uri, issuedAt: null };
  }

  private async loadBest(): Promise<InstalledModel | null> {
    let downloaded: InstalledModel | null = null;
    const pointer = await this.store.readPointer().catch((error: unknown) => {
      console.warn('[models] model storage unreadable', error);
      return null;
    });
    for (const version of [pointer?.active, pointer?.previous]) {
      if (!version) continue;
      try {
        downloaded = await this.loadInstalled(version);
        break;
      } catch (error) {
        console.warn(`[models] skipping installed model: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    let shipped: InstalledModel | null = null;
    try {
      shipped = await this.loadBootstrap();
    } catch (error) {
      console.warn(`[models] bootstrap model unusable: ${error instanceof Error ? error.message : String(error)}`);
    }
    // An app update may ship a bootstrap model newer than the last download: use the newer one.
    if (downloaded && shipped) return compareModels(modelRef(downloaded.manifest), modelRef(shipped.manifest)) >= 0 ? downloaded : shipped;
    return downloaded ?? shipped;
  }

  /** Check the server for a newer model and install it; one check at a time. */
  checkForUpdate(): Promise<UpdateResult> {
    if (!this.updating) {
      this.updating = this.update()
        .catch((error: unknown): UpdateResult => ({ kind: 'failed', detail: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
        this.updating = null;
      });
    }
    return this.updating;
  }

  private async getJson(url: string): Promise<{ status: number; body: unknown } | 'offline'> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, { headers: { Accept: 'application/json' } });
    } catch {
      return 'offline';
    }
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    return { status: response.status, body };
  }

  private async update(): Promise<UpdateResult> {
    const current = await this.current();
    const answer = await this.getJson(`${this.baseUrl}/api/v1/models/latest`);
    if (answer === 'offline') return { kind: 'offline', detail: 'The server could not be reached.' };
    if (answer.status === 404) return { kind: 'none_active' };
    if (answer.status !== 200) return { kind: 'failed', detail: `GET /models/latest answered ${answer.status}.` };
    const body = (answer.body ?? {}) as SignedManifestResponse;
    if (typeof body.signed_payload !== 'string' || typeof body.signature !== 'string') {
      return { kind: 'refused', reason: 'bad_manifest', detail: 'The server sent no signed manifest.' };
    }
    let parsed: { manifest: Manifest; file: ManifestFile };
    try {
      parsed = parseManifest(body.signed_payload);
    } catch (error) {
      return { kind: 'refused', reason: 'bad_manifest', detail: error instanceof Error ? error.message : String(error) };
    }
    const { manifest, file } = parsed;
    // Before the checks, an unverified claim may only make the app ask the server more often (a newer
    // model); a verified, fresh manifest below may also lower it (the server rolled back).
    const claimed = modelRef(manifest);
    if (!this.serverModel || compareModels(claimed, this.serverModel) > 0) this.serverModel = claimed;
    if (this.publicKeys.length === 0) {
      return { kind: 'refused', reason: 'no_pinned_key', detail: 'This build has no pinned model key (EXPO_PUBLIC_MODEL_PUBLIC_KEY): model updates are off.' };
    }
    if (!verifySignature(body.signed_payload, body.signature, this.publicKeys)) {
      return { kind: 'refused', reason: 'bad_signature', detail: `Model ${manifest.version}: the signature does not verify with the pinned key.` };
    }
    const delivery = parseDelivery(body.signed_payload);
    if (!delivery || delivery.version !== manifest.version) {
      return { kind: 'refused', reason: 'bad_manifest', detail: `Model ${manifest.version}: the signed manifest carries no valid issue time and expiry for this version.` };
    }
    const stale = freshnessProblem(delivery, manifest, current, this.now());
    if (stale) return { kind: 'refused', ...stale };
    this.serverModel = claimed;
    if (current?.issuedAt) {
      // Ordered by issue time: a later-issued manifest for an older version is the server's rollback.
      if (current.manifest.version === manifest.version) return { kind: 'up_to_date', version: manifest.version };
    } else if (current) {
      // The bootstrap model (or one installed before manifests carried freshness): ordered by version.
      const order = compareModels(modelRef(manifest), modelRef(current.manifest));
      if (order === 0) return { kind: 'up_to_date', version: manifest.version };
      if (order < 0) {
        return { kind: 'refused', reason: 'older', detail: `Model ${manifest.version} (${manifest.created_at}) is older than ${current.manifest.version} (${current.manifest.created_at}).` };
      }
    }
    const listed = (body.files ?? []).find((f) => f.name === file.name);
    const url = typeof listed?.url === 'string' ? listed.url : `${this.baseUrl}/api/v1/models/${encodeURIComponent(manifest.version)}/files/${file.name}`;
    try {
      await this.download(manifest.version, file, url);
    } catch (error) {
      if (error instanceof HttpFailure && !error.retryable) return { kind: 'failed', detail: error.message };
      return { kind: 'offline', detail: `Download interrupted (${error instanceof Error ? error.message : String(error)}); it resumes on the next check.` };
    }
    const staged = await this.store.readStaged(manifest.version, file.name);
    if (!staged || staged.length !== file.size) {
      await this.store.discardStaged(manifest.version);
      return { kind: 'refused', reason: 'size', detail: `${file.name}: downloaded ${staged?.length ?? 0} bytes, the manifest says ${file.size}.` };
    }
    if ((await sha256Hex(staged)) !== file.sha256.toLowerCase()) {
      await this.store.discardStaged(manifest.version);
      return { kind: 'refused', reason: 'checksum', detail: `${file.name} does not match its sha256 in the signed manifest; discarded.` };
    }
    await this.install(manifest, body.signed_payload, body.signature, file, staged, current, delivery.issuedAt);
    return { kind: 'installed', version: manifest.version };
  }

  private async install(manifest: Manifest, signedPayload: string, signature: string, file: ManifestFile, bytes: Uint8Array, current: InstalledModel | null, issuedAt: string) {
    const version = manifest.version;
    await this.store.promote(version, { version, signedPayload, signature, installedAt: this.now().toISOString() }, [file.name]);
    const previous = current?.source === 'downloaded' ? current.manifest.version : null;
    await this.store.writePointer({ active: version, previous });
    for (const old of await this.store.installedVersions()) if (old !== version && old !== previous) await this.store.remove(old);
    const uri = await this.store.fileUri(version, file.name);
    const installed: InstalledModel = { manifest, file, bytes, source: 'downloaded', uri, issuedAt };
    this.loading = Promise.resolve(installed);
    this.setState({ state: 'ready', manifest, source: 'downloaded' });
  }

  /** Download one file into staging with Range requests, resuming from what is already staged. */
  private async download(version: string, file: ManifestFile, url: string): Promise<void> {
    let have = await this.store.stagedLength(version, file.name);
    if (have > file.size) {
      await this.store.discardStaged(version);
      have = 0;
    }
    let failures = 0;
    while (have < file.size) {
      const end = Math.min(file.size, have + this.chunkBytes) - 1;
      try {
        const response = await this.fetchImpl(url, { headers: { Range: `bytes=${have}-${end}`, 'If-Range': `"${file.sha256}"` } });
        if (response.status === 206) {
          const start = /^bytes (\d+)-\d+\/\d+$/.exec(response.headers.get('Content-Range') ?? '')?.[1];
          if (start === undefined || Number(start) !== have) throw new Error(`unexpected Content-Range ${response.headers.get('Content-Range')}`);
          const chunk = new Uint8Array(await response.arrayBuffer()).subarray(0, end - have + 1);
          if (chunk.length === 0) throw new Error('empty range response');
          await this.store.appendStaged(version, file.name, chunk);
          have += chunk.length;
          failures = 0;
        } else if (response.status === 200) {
          // The server ignored the range (or the file changed): start over with the whole body.
          const whole = new Uint8Array(await response.arrayBuffer());
          if (whole.length > file.size) throw new HttpFailure(200, `${file.name}: the server sent ${whole.length} bytes, the manifest says ${file.size}.`);
          await this.store.discardStaged(version);
          await this.store.appendStaged(version, file.name, whole);
          have = whole.length;
          failures = 0;
        } else if (response.status === 416) {
          await this.store.discardStaged(version);
          have = 0;
          throw new Error('range not satisfiable; restarting');
        } else {
          throw new HttpFailure(response.status, `GET ${file.name} answered ${response.status}.`);
        }
      } catch (error) {
        if (error instanceof HttpFailure && !error.retryable) throw error;
        failures += 1;
        if (failures > this.retries) throw error;
        await this.sleep(Math.min(30_000, 500 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2));
      }
    }
  }

  /** Make the previous downloaded model active again (e.g. after a bad update); false when there is none. */
  async rollback(): Promise<boolean> {
    const pointer = await this.store.readPointer();
    if (!pointer?.previous) return false;
    try {
      const model = await this.loadInstalled(pointer.previous);
      await this.store.writePointer({ active: pointer.previous, previous: null });
      this.loading = Promise.resolve(model);
      this.setState({ state: 'ready', manifest: model.manifest, source: 'downloaded' });
      return true;
    } catch {
      return false;
    }
  }
}
