/**
 * The offline outbox: every screening is saved durably (photo, client UUID, capture time, on-device
 * result) before any request, then synced through POST /screenings/sync in batches. Flushes run on app
 * start, on reconnect and after each capture; failures back off exponentially with jitter; 4xx answers
 * other than 408/429 mark the item failed with the server's reason (the user can retry it); replays
 * never duplicate because the client UUID is the server's idempotency key. Public methods never throw:
 * storage trouble is logged and reported as "not saved", never crashes a screen.
 *
 * Every row records who took it (`owner`: the signed-in user's id). Listing, counting, sending and
 * retrying only ever touch the current user's rows, so after a sign-out the rows stay on the device
 * and sync when the same user signs in again, and another user's session never sends them.
 */
import { failureMessage, type ApiFailure } from '@/api';

import type { ModelAnswer, OutboxItem } from './engine.types';
import type { OutboxRow, PhotoVault, SqlOutboxStore } from './outboxStore';
import { serverAnswer, type ScreeningOut, type ScreeningTransport, type SendItem } from './transport';

export type OutboxOptions = {
  store: SqlOutboxStore;
  vault: PhotoVault;
  transport: ScreeningTransport;
  /** The signed-in user's id (null when signed out): the owner of new rows, and whose rows are sent. */
  owner: () => Promise<string | null> | string | null;
  now?: () => number;
  random?: () => number;
  /** Items per sync request (the server accepts up to 50; photos are large, so fewer). */
  batchSize?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
};

export type EnqueueInput = {
  clientUuid: string;
  capturedAt: string;
  photoUri: string;
  mimeType: string;
  bodySite: string;
  note: string;
  device: ModelAnswer | null;
};

export type SendNowResult =
  | { kind: 'synced'; screening: ScreeningOut; server: ModelAnswer }
  | { kind: 'queued'; reason: string }
  | { kind: 'failed'; reason: string };

export type FlushReport = { sent: number; synced: number; failed: number; requeued: number };

/** A failure the server will keep giving (bad photo, bad data): retrying cannot help. */
function isPermanent(failure: ApiFailure): boolean {
  switch (failure.kind) {
    case 'validation':
    case 'forbidden':
    case 'not_found':
    case 'conflict':
      return true;
    case 'server':
      return failure.status >= 400 && failure.status < 500 && failure.status !== 408 && failure.status !== 429;
    default:
      return false;
  }
}

function permanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

type Listener = () => void;

export class Outbox {
  private readonly store: SqlOutboxStore;
  private readonly vault: PhotoVault;
  private readonly transport: ScreeningTransport;
  private readonly owner: () => Promise<string | null> | string | null;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly batchSize: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private flushing: Promise<FlushReport> | null = null;
  private recovered: Promise<void> | null = null;
  private listeners = new Set<Listener>();

  constructor(options: OutboxOptions) {
    this.store = options.store;
    this.vault = options.vault;
    this.transport = options.transport;
    this.owner = options.owner;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.batchSize = options.batchSize ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 10_000;
    this.maxDelayMs = options.maxDelayMs ?? 60 * 60_000;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed() {
    this.listeners.forEach((l) => l());
  }

  private iso(offsetMs = 0): string {
    return new Date(this.now() + offsetMs).toISOString();
  }

  /** Exponential backoff with jitter: 50-100% of min(max, base * 2^(attempts-1)). */
  backoffMs(attempts: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(ceiling * (0.5 + this.random() / 2));
  }

  /** The current user's id; null when signed out or unknown (then nothing is queued, listed or sent). */
  private async currentOwner(): Promise<string | null> {
    try {
      return (await this.owner()) || null;
    } catch {
      return null;
    }
  }

  /**
   * Once per instance (app start): items a crash left "sending" are queued again, and rows saved
   * before owners were recorded are deleted (nobody can tell whose they are, so none may sync them).
   */
  private recover(): Promise<void> {
    if (!this.recovered) {
      this.recovered = (async () => {
        await this.store.recoverSending(this.iso());
        const ownerless = await this.store.ownerless();
        if (ownerless.length === 0) return;
        for (const row of ownerless) {
          await this.vault.discard(row.clientUuid, row.photoUri).catch(() => undefined);
          await this.store.remove(row.clientUuid);
        }
        console.warn(`[outbox] deleted ${ownerless.length} unsent screening(s) saved before their owner was recorded; they cannot be synced safely`);
      })().catch((e: unknown) => console.warn('[outbox] recover failed', e));
    }
    return this.recovered;
  }

  /** Save a screening durably before anything is sent; null when it could not be saved. */
  async enqueue(input: EnqueueInput): Promise<OutboxItem | null> {
    try {
      await this.recover();
      const ownerId = await this.currentOwner();
      if (!ownerId) {
        console.warn('[outbox] nobody is signed in: the screening is not queued');
        return null;
      }
      const durableUri = await this.vault.keep(input.clientUuid, input.photoUri, input.mimeType);
      const row: OutboxRow = {
        clientUuid: input.clientUuid,
        ownerId,
        capturedAt: input.capturedAt,
        photoUri: durableUri,
        mimeType: input.mimeType,
        bodySite: input.bodySite,
        note: input.note,
        device: input.device,
        server: null,
        status: 'queued',
        attempts: 0,
        nextAttemptAt: this.iso(),
        lastError: null,
        screeningId: null,
        createdAt: this.iso(),
      };
      await this.store.insert(row);
      this.changed();
      return row;
    } catch (error) {
      console.warn('[outbox] could not save the screening', error);
      return null;
    }
  }

  /** The signed-in user's items, newest first (nothing when signed out). */
  async list(): Promise<OutboxItem[]> {
    try {
      const ownerId = await this.currentOwner();
      return ownerId ? await this.store.list(ownerId) : [];
    } catch (error) {
      console.warn('[outbox] could not read the queue', error);
      return [];
    }
  }

  private async sendItem(row: OutboxRow): Promise<SendItem | null> {
    const photo = await this.vault.part(row.clientUuid, row.photoUri, row.mimeType);
    if (!photo) return null;
    return { clientUuid: row.clientUuid, capturedAt: row.capturedAt, bodySite: row.bodySite, note: row.note, device: row.device, photo, mimeType: row.mimeType };
  }

  private async markSynced(row: OutboxRow, screening: ScreeningOut): Promise<ModelAnswer> {
    const server = serverAnswer(screening);
    await this.store.update(row.clientUuid, { status: 'synced', screeningId: screening.id, server, lastError: null, nextAttemptAt: null });
    // The server keeps its own copy; the local one is no longer needed.
    await this.vault.discard(row.clientUuid, row.photoUri).catch(() => undefined);
    return server;
  }

  private async requeue(row: OutboxRow, attempts: number, reason: string) {
    await this.store.update(row.clientUuid, { status: 'queued', attempts, lastError: reason, nextAttemptAt: this.iso(this.backoffMs(attempts)) });
  }

  private async fail(row: OutboxRow, attempts: number, reason: string) {
    await this.store.update(row.clientUuid, { status: 'failed', attempts, lastError: reason, nextAttemptAt: null });
  }

  /** Send one saved screening right away with POST /screenings (the "ask the server now" path). */
  async sendNow(clientUuid: string): Promise<SendNowResult> {
    try {
      const row = await this.store.get(clientUuid);
      const ownerId = await this.currentOwner();
      if (!row || !ownerId || row.ownerId !== ownerId) return { kind: 'failed', reason: 'This screening was not saved on the device.' };
      const item = await this.sendItem(row);
      if (!item) {
        await this.fail(row, row.attempts, 'The photo file is missing on this device.');
        return { kind: 'failed', reason: 'The photo file is missing on this device.' };
      }
      const attempts = row.attempts + 1;
      await this.store.update(clientUuid, { status: 'sending', attempts });
      this.changed();
      const result = await this.transport.create(item);
      if (result.kind === 'ok') {
        const server = await this.markSynced(row, result.data);
        this.changed();
        return { kind: 'synced', screening: result.data, server };
      }
      const reason = failureMessage(result);
      if (isPermanent(result)) await this.fail(row, attempts, reason);
      else await this.requeue(row, attempts, reason);
      this.changed();
      return isPermanent(result) ? { kind: 'failed', reason } : { kind: 'queued', reason };
    } catch (error) {
      console.warn('[outbox] send failed', error);
      await this.store.update(clientUuid, { status: 'queued', lastError: 'Not sent yet.' }).catch(() => undefined);
      return { kind: 'queued', reason: 'Not sent yet; it will sync later.' };
    }
  }

  /**
   * Sync every due item, batch by batch; concurrent calls share one run. `now: true` (the network just
   * came back, or the user asked) sends queued items without waiting for their backoff.
   */
  flush(opts: { now?: boolean } = {}): Promise<FlushReport> {
    if (!this.flushing) {
      this.flushing = this.runFlush(!!opts.now)
        .catch((error: unknown) => {
          console.warn('[outbox] flush failed', error);
          return { sent: 0, synced: 0, failed: 0, requeued: 0 };
        })
        .finally(() => {
          this.flushing = null;
          this.changed();
        });
    }
    return this.flushing;
  }

  /** Put one of the current user's failed (or waiting) items back in the queue, due now, and flush. */
  async retry(clientUuid: string): Promise<void> {
    try {
      const row = await this.store.get(clientUuid);
      const ownerId = await this.currentOwner();
      if (!row || !ownerId || row.ownerId !== ownerId) return;
      await this.store.update(clientUuid, { status: 'queued', nextAttemptAt: this.iso() });
      this.changed();
    } catch (error) {
      console.warn('[outbox] retry failed', error);
    }
    await this.flush({ now: true });
  }

  /** When the current user's next queued item is due (ms since the epoch), or null when nothing waits. */
  async nextAttemptAt(): Promise<number | null> {
    try {
      const ownerId = await this.currentOwner();
      if (!ownerId) return null;
      const next = await this.store.nextAttemptAt(ownerId);
      return next ? Date.parse(next) : null;
    } catch {
      return null;
    }
  }

  private async runFlush(ignoreBackoff: boolean): Promise<FlushReport> {
    await this.recover();
    const report: FlushReport = { sent: 0, synced: 0, failed: 0, requeued: 0 };
    // Only the signed-in user's rows, and only while that same user is signed in: a sign-out (or
    // another user signing in) between two batches ends the run.
    const ownerId = await this.currentOwner();
    if (!ownerId) return report;
    let batchSize = this.batchSize;
    // Each item is tried at most once per run, even when the backoff is ignored.
    const tried = new Set<string>();
    for (;;) {
      if ((await this.currentOwner()) !== ownerId) return report;
      const rows = (await this.store.due(ownerId, this.iso(), batchSize + tried.size, ignoreBackoff)).filter((r) => !tried.has(r.clientUuid)).slice(0, batchSize);
      rows.forEach((r) => tried.add(r.clientUuid));
      if (rows.length === 0) return report;
      const batch: { row: OutboxRow; item: SendItem; attempts: number }[] = [];
      for (const row of rows) {
        const item = await this.sendItem(row);
        if (!item) {
          await this.fail(row, row.attempts, 'The photo file is missing on this device.');
          report.failed += 1;
          continue;
        }
        batch.push({ row, item, attempts: row.attempts + 1 });
      }
      if (batch.length === 0) continue;
      if ((await this.currentOwner()) !== ownerId) return report;
      for (const b of batch) await this.store.update(b.row.clientUuid, { status: 'sending', attempts: b.attempts });
      this.changed();
      report.sent += batch.length;
      const result = await this.transport.sync(batch.map((b) => b.item));

      if (result.kind !== 'ok') {
        const reason = failureMessage(result);
        // A batch the server refuses as a whole: send the items one by one to find the bad one.
        if (isPermanent(result) && batch.length > 1) {
          for (const b of batch) {
            await this.store.update(b.row.clientUuid, { status: 'queued', attempts: b.attempts - 1, nextAttemptAt: this.iso() });
            tried.delete(b.row.clientUuid);
          }
          batchSize = 1;
          continue;
        }
        for (const b of batch) {
          if (isPermanent(result)) {
            await this.fail(b.row, b.attempts, reason);
            report.failed += 1;
          } else {
            await this.requeue(b.row, b.attempts, result.kind === 'unauthorized' ? 'Sign in to sync this screening.' : reason);
            report.requeued += 1;
          }
        }
        if (isPermanent(result)) continue;
        return report; // offline, signed out, rate limited or server trouble: try again later
      }

      const byUuid = new Map(result.data.results.map((r) => [String(r.client_uuid ?? ''), r]));
      for (const [index, b] of batch.entries()) {
        const r = byUuid.get(b.row.clientUuid) ?? result.data.results.find((x) => x.index === index);
        if (r && (r.status === 'created' || r.status === 'duplicate') && r.screening) {
          await this.markSynced(b.row, r.screening);
          report.synced += 1;
        } else if (r?.error && permanentStatus(r.error.status)) {
          await this.fail(b.row, b.attempts, r.error.detail);
          report.failed += 1;
        } else {
          await this.requeue(b.row, b.attempts, r?.error?.detail ?? 'The server did not confirm this screening.');
          report.requeued += 1;
        }
      }
      this.changed();
    }
  }
}
