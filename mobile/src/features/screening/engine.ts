/**
 * The on-device screening engine the screens use (types in engine.types.ts):
 *   preparePhoto   photo -> uint8 tensor per the manifest spec (prepare.web.ts / prepare.ts)
 *   useModel       the model manager's state (bootstrap or downloaded model, verified)
 *   getClassifier  LiteRT.js on the web (loaded on first use), fast-tflite on phones
 *   decideFallback when to ask the server (pure)
 *   screenPhoto    classify on the device, save durably, ask the server when the policy says so
 *   useOutbox / flushOutbox  the offline queue and its sync
 * `screenPhoto` does not run the photo quality check: the capture screen calls quality.ts first.
 */
import NetInfo from '@react-native-community/netinfo';
import { useEffect, useSyncExternalStore } from 'react';
import { AppState } from 'react-native';

import { apiBaseUrl } from '@/api/config';
import { CANNOT_ASSESS_MESSAGE } from '@/contract';
import { currentUserId } from '@/api/identity';
import { uuid4 } from '@/lib/id';

import { bootstrapSource } from './bootstrapModel';
import { createClassifier } from './classifier';
import type { Classifier, ModelAnswer, ModelState, OutboxItem, Photo, ScreeningOutcome } from './engine.types';
import { decideFallback } from './fallback';
import { pinnedPublicKeys } from './integrity';
import { ModelManager, modelRef, type InstalledModel } from './modelManager';
import { createModelStore } from './modelStore';
import { Outbox, type SendNowResult } from './outbox';
import { openOutboxStorage } from './outboxStorage';
import { preparePhoto } from './prepare';
import { apiTransport, serverAnswer } from './transport';

export { decideFallback } from './fallback';
export { preparePhoto } from './prepare';

/** What to do, worded for a device-only answer (the server's own wording replaces it when it answers). */
export const DEVICE_ACTION: Record<ModelAnswer['risk'], string> = {
  high: 'The photo resembles a lesion type that can be malignant. Book an appointment with a dermatologist soon (within two weeks), and sooner if it bleeds, grows or changes.',
  medium: 'The photo resembles a usually benign lesion that is sometimes confused with skin cancer. Ask a clinician to look at it at your next visit and watch it for changes in size, shape or colour.',
  low: 'The photo resembles a common benign lesion. Keep an eye on it (size, shape, colour, itching, bleeding) and see a clinician if it changes or worries you.',
};
const SYNTHETIC_NOTE = 'SYNTHETIC model - not for clinical use: this result comes from a demonstration model trained on synthetic images. ';
const FALLBACK_DISCLAIMER = 'Screening aid only, not a diagnosis. Any concerning, changing or bleeding lesion must be examined by a clinician.';

let manager: ModelManager | null = null;
/** The manager's state, except that "ready" waits until the classifier for that model has started. */
let engineState: ModelState = { state: 'loading' };
const stateListeners = new Set<() => void>();

function publish(state: ModelState) {
  engineState = state;
  stateListeners.forEach((l) => l());
}

/**
 * Follow the manager: when a model is ready, start its classifier (on the web this fetches LiteRT.js
 * and its WASM and compiles the model) before saying "ready", so a screening that follows - even
 * after the network drops - runs on the device.
 */
function followManager(mm: ModelManager) {
  const state = mm.state;
  if (state.state !== 'ready') {
    publish(state);
    return;
  }
  publish({ state: 'loading' });
  void mm.current().then(async (model) => {
    if (!model || model.manifest.version !== state.manifest.version) return;
    try {
      await classifierFor(model);
      if (mm.state === state) publish(state);
    } catch (error) {
      publish({ state: 'error', error: `The on-device model could not start (${error instanceof Error ? error.message : String(error)}); screenings go to the server.` });
    }
  });
}

export function modelManager(): ModelManager {
  if (!manager) {
    const mm = new ModelManager({ store: createModelStore(), bootstrap: bootstrapSource, baseUrl: apiBaseUrl(), publicKeys: pinnedPublicKeys() });
    mm.subscribe(() => followManager(mm));
    manager = mm;
  }
  return manager;
}

let lastUpdateCheck = 0;
const UPDATE_CHECK_EVERY_MS = 6 * 60 * 60_000;

/** Load the verified model, then check the server for a newer one (at start, then at most every 6 h). */
function startModel(): void {
  const mm = modelManager();
  void mm.current().then(() => {
    if (lastUpdateCheck && Date.now() - lastUpdateCheck < UPDATE_CHECK_EVERY_MS) return;
    lastUpdateCheck = Date.now();
    void mm.checkForUpdate().then((result) => {
      if (result.kind === 'refused' || result.kind === 'failed') console.warn(`[models] update ${result.kind}: ${'detail' in result ? result.detail : ''}`);
    });
  });
}

/** The on-device model's state for the screens; loads it (and starts its classifier) on first use. */
export function useModel(): ModelState {
  const state = useSyncExternalStore(
    (notify) => {
      stateListeners.add(notify);
      return () => stateListeners.delete(notify);
    },
    () => engineState,
    () => engineState,
  );
  useEffect(() => {
    startModel();
  }, []);
  return state;
}

let classifier: { version: string; promise: Promise<Classifier> } | null = null;

/** The classifier for the current model (created on first use, recreated after a model update). */
export async function getClassifier(): Promise<Classifier> {
  const model = await modelManager().current();
  if (!model) throw new Error('No on-device model is available.');
  return classifierFor(model);
}

function classifierFor(model: InstalledModel): Promise<Classifier> {
  if (classifier?.version !== model.manifest.version) {
    const old = classifier?.promise;
    void old?.then((c) => c.dispose()).catch(() => undefined);
    const promise = createClassifier(model);
    classifier = { version: model.manifest.version, promise };
    promise.catch(() => {
      if (classifier?.promise === promise) classifier = null;
    });
  }
  return classifier.promise;
}

// -- outbox --

let outbox: Promise<Outbox | null> | null = null;
let items: OutboxItem[] = [];
const itemListeners = new Set<() => void>();

/**
 * Waits between attempts to open the storage. On the web, expo-sqlite's OPFS file can still be held by
 * the page being replaced right after a quick reload ("cannot create file") for a moment.
 */
const OUTBOX_OPEN_RETRY_MS = [200, 500, 1000, 2000];
/** The last open failed after all its retries: later calls try once rather than wait through the backoff again. */
let openFailed = false;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function openStorageWithRetry(): ReturnType<typeof openOutboxStorage> {
  const delays = openFailed ? [] : OUTBOX_OPEN_RETRY_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const storage = await openOutboxStorage();
      openFailed = false;
      return storage;
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined) {
        openFailed = true;
        throw error;
      }
      await sleep(delay);
    }
  }
}

/**
 * The outbox, opened on first use. Concurrent callers share one open; a failed open is not kept, so
 * the next call (the next capture, the next flush) tries again. Null while the storage cannot be opened.
 */
function getOutbox(): Promise<Outbox | null> {
  if (!outbox) {
    const opening: Promise<Outbox | null> = openStorageWithRetry().then(
      ({ store, vault }) => {
        const ob = new Outbox({ store, vault, transport: apiTransport, owner: currentUserId });
        ob.subscribe(() => void refreshItems());
        return ob;
      },
      (error: unknown) => {
        console.warn('[outbox] storage unavailable: this screening cannot be queued offline; the next one tries again', error);
        if (outbox === opening) outbox = null;
        return null;
      },
    );
    outbox = opening;
  }
  return outbox;
}

async function refreshItems(): Promise<void> {
  const ob = await getOutbox();
  items = ob ? await ob.list() : [];
  itemListeners.forEach((l) => l());
}

let nextFlush: ReturnType<typeof setTimeout> | null = null;

/** While the app runs, flush again when the earliest backed-off item falls due. */
async function scheduleNextFlush(ob: Outbox): Promise<void> {
  if (nextFlush) clearTimeout(nextFlush);
  nextFlush = null;
  const at = await ob.nextAttemptAt();
  if (at === null) return;
  nextFlush = setTimeout(() => void flushOutbox(), Math.min(Math.max(at - Date.now(), 1000), 60 * 60_000));
  (nextFlush as { unref?: () => void }).unref?.(); // Node (tests): do not keep the process alive
}

/** Sync the queue; `now: true` (reconnect, the user's "try again") ignores the backoff. */
export async function flushOutbox(opts: { now?: boolean } = {}): Promise<void> {
  const ob = await getOutbox();
  if (!ob) return;
  await ob.flush(opts);
  await scheduleNextFlush(ob);
}

export async function retryOutboxItem(clientUuid: string): Promise<void> {
  const ob = await getOutbox();
  if (!ob) return;
  await ob.retry(clientUuid);
  await scheduleNextFlush(ob);
}

/**
 * How many of the signed-in user's screenings on this device the server does not have yet (queued,
 * being sent, or refused). Other users' rows are not counted.
 */
export async function countUnsentScreenings(): Promise<number> {
  const ob = await getOutbox();
  if (!ob) return 0;
  return (await ob.list()).filter((item) => item.status !== 'synced').length;
}

/**
 * Someone signed in (or out): show that user's queue, and send what they left waiting on this device
 * at once. Nothing is deleted on sign-out; each row syncs only under the session of the user who took it.
 */
export async function outboxSessionChanged(): Promise<void> {
  await refreshItems();
  await flushOutbox({ now: true });
}

let syncStarted = false;

/** Flush on app start, on reconnect and when the app comes to the foreground; idempotent. */
export function startScreeningSync(): void {
  if (syncStarted) return;
  syncStarted = true;
  let wasOnline = true;
  NetInfo.addEventListener((state) => {
    const online = state.isConnected !== false;
    if (online && !wasOnline) void flushOutbox({ now: true });
    wasOnline = online;
  });
  AppState.addEventListener('change', (next) => {
    if (next !== 'active') return;
    void flushOutbox();
    startModel();
  });
  void flushOutbox();
}

/** The queue's items (newest first) and a manual flush; `retryOutboxItem` puts a failed item back. */
export function useOutbox(): { items: OutboxItem[]; flush(): Promise<void> } {
  const snapshot = useSyncExternalStore(
    (notify) => {
      itemListeners.add(notify);
      return () => itemListeners.delete(notify);
    },
    () => items,
    () => items,
  );
  useEffect(() => {
    startScreeningSync();
    void refreshItems();
  }, []);
  return { items: snapshot, flush: () => flushOutbox({ now: true }) };
}

// -- screening --

function mimeOf(photo: Photo): string {
  if (photo.mimeType) return photo.mimeType;
  return /\.png($|\?)/i.test(photo.uri) ? 'image/png' : 'image/jpeg';
}

function disclaimerOf(model: InstalledModel | null): string {
  if (!model) return FALLBACK_DISCLAIMER;
  return (model.manifest.synthetic ? SYNTHETIC_NOTE : '') + (model.manifest.disclaimer || FALLBACK_DISCLAIMER);
}

/**
 * Outcome, top label or risk level differ: the screen flags it, and the server's answer is the one of
 * record. Two "cannot assess" answers agree (neither has a label to compare).
 */
export function disagree(device: ModelAnswer | null, server: ModelAnswer | null): boolean {
  if (!device || !server) return false;
  const outcome = (a: ModelAnswer) => a.outcome ?? 'assessed';
  if (outcome(device) !== outcome(server)) return true;
  if (outcome(device) === 'cannot_assess') return false;
  return device.topLabel !== server.topLabel || device.risk !== server.risk;
}

/** What to do after a device-only answer: the risk wording, or retake / see a clinician when it could not assess. */
export function deviceAction(device: ModelAnswer | null): string {
  if (!device) return '';
  return device.outcome === 'cannot_assess' ? CANNOT_ASSESS_MESSAGE : DEVICE_ACTION[device.risk];
}

async function classifyOnDevice(photo: Photo, model: InstalledModel): Promise<ModelAnswer | null> {
  const prepared = await preparePhoto(photo, model.manifest.input.height);
  try {
    const answer = await (await classifierFor(model)).classify(prepared.tensor);
    return { ...answer, latencyMs: answer.latencyMs + prepared.preprocessMs };
  } catch (error) {
    console.warn('[screening] on-device classification failed', error);
    return null;
  }
}

/**
 * Screen one photo: classify on the device, save it durably (photo, client UUID, capture time, device
 * result) before any request, then, when the fallback policy or the user asks, POST it with the device
 * result and return both answers. Offline or unreachable: it stays queued and syncs later. When the
 * server is not asked the device answer is returned and the screening syncs in the background, so it
 * still reaches the history and the agreement report.
 */
export async function screenPhoto(photo: Photo, opts: { askServer?: boolean; bodySite?: string; note?: string } = {}): Promise<ScreeningOutcome> {
  const clientUuid = uuid4();
  const capturedAt = new Date().toISOString();
  const mm = modelManager();
  let model: InstalledModel | null = null;
  let device: ModelAnswer | null = null;
  try {
    model = await mm.current();
    if (model) device = await classifyOnDevice(photo, model);
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : 'The photo could not be read.' };
  }
  const fallback = decideFallback({
    model: model ? modelRef(model.manifest) : null,
    serverModel: mm.serverModel,
    answer: device,
    thresholds: model?.manifest.thresholds ?? null,
    userAsked: !!opts.askServer,
  });
  const disclaimer = disclaimerOf(model);
  const ob = await getOutbox();
  const saved = ob
    ? await ob.enqueue({ clientUuid, capturedAt, photoUri: photo.uri, mimeType: mimeOf(photo), bodySite: opts.bodySite?.trim() ?? '', note: opts.note?.trim() ?? '', device })
    : null;

  if (!fallback.askServer) {
    if (ob && saved) void flushOutbox();
    return { kind: 'done', clientUuid, device, server: null, screeningId: null, disagreement: false, fallback, recommendedAction: deviceAction(device), disclaimer };
  }

  let sent: SendNowResult;
  if (ob && saved) sent = await ob.sendNow(clientUuid);
  else sent = await sendWithoutOutbox(photo, { clientUuid, capturedAt, device, bodySite: opts.bodySite ?? '', note: opts.note ?? '' });

  if (sent.kind === 'synced') {
    return {
      kind: 'done',
      clientUuid,
      device,
      server: sent.server,
      screeningId: sent.screening.id,
      disagreement: disagree(device, sent.server),
      fallback,
      recommendedAction: sent.screening.recommended_action,
      disclaimer: sent.screening.disclaimer,
    };
  }
  if (sent.kind === 'queued' && saved) {
    if (ob) void scheduleNextFlush(ob);
    return { kind: 'queued', clientUuid, device, fallback, disclaimer };
  }
  if (device) {
    // The server refused it (or nothing could be saved): show the device answer, say why there is no second opinion.
    return { kind: 'done', clientUuid, device, server: null, screeningId: null, disagreement: false, fallback, recommendedAction: deviceAction(device), disclaimer, serverError: sent.reason };
  }
  return { kind: 'error', message: sent.reason };
}

/** Storage unavailable: one direct attempt, nothing kept. */
async function sendWithoutOutbox(
  photo: Photo,
  item: { clientUuid: string; capturedAt: string; device: ModelAnswer | null; bodySite: string; note: string },
): Promise<SendNowResult> {
  const mimeType = mimeOf(photo);
  let part: Blob | { uri: string; name: string; type: string };
  try {
    part = typeof window !== 'undefined' && /^(blob|data|https?):/.test(photo.uri) ? await (await fetch(photo.uri)).blob() : { uri: photo.uri, name: `${item.clientUuid}.jpg`, type: mimeType };
  } catch {
    return { kind: 'failed', reason: 'The photo could not be read.' };
  }
  const result = await apiTransport.create({ ...item, photo: part, mimeType });
  if (result.kind === 'ok') return { kind: 'synced', screening: result.data, server: serverAnswer(result.data) };
  return { kind: 'failed', reason: result.kind === 'offline' ? 'You are offline and this device cannot keep the screening to send later.' : 'detail' in result ? result.detail : 'The server did not answer.' };
}
