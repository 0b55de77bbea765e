/**
 * The offline outbox's durable storage in SQLite: one row per screening keyed by its client UUID (the
 * server's idempotency key), with status, attempts, next attempt time and last error. Written against a
 * four-method `SqlDb` that expo-sqlite's database satisfies (phones and web) and that the tests back
 * with sql.js, so the same SQL runs in Jest. On the web the photo bytes live in the same database
 * (`SqlPhotoVault`); on phones they are files in the document directory (photoVault.ts).
 */
import type { ModelAnswer, OutboxItem, OutboxStatus } from './engine.types';

export type SqlValue = string | number | null | Uint8Array;

/** The subset of expo-sqlite's SQLiteDatabase the outbox uses. */
export interface SqlDb {
  execAsync(source: string): Promise<void>;
  runAsync(source: string, params: SqlValue[]): Promise<unknown>;
  getAllAsync<T>(source: string, params: SqlValue[]): Promise<T[]>;
}

/** Everything kept for one screening until the server has it. */
export type OutboxRow = OutboxItem & {
  /** The signed-in user who took it (the `user_id` of the session's tokens): only their session syncs it. */
  ownerId: string;
  mimeType: string;
  bodySite: string;
  note: string;
  createdAt: string;
};

const SCHEMA_VERSION = 2;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE IF NOT EXISTS outbox (
      client_uuid TEXT PRIMARY KEY NOT NULL,
      captured_at TEXT NOT NULL,
      photo_uri TEXT NOT NULL,
      mime_type TEXT NOT NULL DEFAULT 'image/jpeg',
      body_site TEXT NOT NULL DEFAULT '',
      note TEXT NOT NULL DEFAULT '',
      device_result TEXT,
      server_result TEXT,
      status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'synced', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at TEXT,
      last_error TEXT,
      screening_id TEXT,
      created_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
    CREATE TABLE IF NOT EXISTS outbox_photo (
      client_uuid TEXT PRIMARY KEY NOT NULL,
      bytes BLOB NOT NULL
    );
  `,
  // Who took each screening. Rows from before this column have no owner (NULL): nobody's session
  // syncs them, and the outbox deletes them once at its next start (Outbox.recover).
  2: `
    ALTER TABLE outbox ADD COLUMN owner_id TEXT;
    CREATE INDEX IF NOT EXISTS outbox_owner_due ON outbox (owner_id, status, next_attempt_at);
  `,
};

type Row = {
  client_uuid: string;
  owner_id: string | null;
  captured_at: string;
  photo_uri: string;
  mime_type: string;
  body_site: string;
  note: string;
  device_result: string | null;
  server_result: string | null;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  screening_id: string | null;
  created_at: string;
};

function parseAnswer(text: string | null): ModelAnswer | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as ModelAnswer;
  } catch {
    return null;
  }
}

function fromRow(r: Row): OutboxRow {
  return {
    clientUuid: r.client_uuid,
    ownerId: r.owner_id ?? '',
    capturedAt: r.captured_at,
    photoUri: r.photo_uri,
    mimeType: r.mime_type,
    bodySite: r.body_site,
    note: r.note,
    device: parseAnswer(r.device_result),
    server: parseAnswer(r.server_result),
    status: r.status,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    screeningId: r.screening_id,
    createdAt: r.created_at,
  };
}

export type OutboxPatch = Partial<Pick<OutboxRow, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'screeningId' | 'server'>>;

const COLUMNS: Record<keyof OutboxPatch, string> = {
  status: 'status',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  screeningId: 'screening_id',
  server: 'server_result',
};

export class SqlOutboxStore {
  private ready: Promise<void> | null = null;

  constructor(private readonly db: SqlDb) {}

  /** Create or migrate the tables (PRAGMA user_version); safe to call many times. */
  init(): Promise<void> {
    if (!this.ready) {
      this.ready = (async () => {
        const [row] = await this.db.getAllAsync<{ user_version: number }>('PRAGMA user_version', []);
        let version = Number(row?.user_version ?? 0);
        while (version < SCHEMA_VERSION) {
          version += 1;
          await this.db.execAsync(MIGRATIONS[version]!);
          await this.db.execAsync(`PRAGMA user_version = ${version}`);
        }
      })();
      this.ready.catch(() => {
        this.ready = null;
      });
    }
    return this.ready;
  }

  async insert(row: OutboxRow): Promise<void> {
    await this.init();
    if (!row.ownerId) throw new Error('A queued screening needs its owner.');
    await this.db.runAsync(
      `INSERT INTO outbox (client_uuid, owner_id, captured_at, photo_uri, mime_type, body_site, note, device_result, server_result, status,
         attempts, next_attempt_at, last_error, screening_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.clientUuid,
        row.ownerId,
        row.capturedAt,
        row.photoUri,
        row.mimeType,
        row.bodySite,
        row.note,
        row.device ? JSON.stringify(row.device) : null,
        row.server ? JSON.stringify(row.server) : null,
        row.status,
        row.attempts,
        row.nextAttemptAt,
        row.lastError,
        row.screeningId,
        row.createdAt,
      ],
    );
  }

  async get(clientUuid: string): Promise<OutboxRow | null> {
    await this.init();
    const rows = await this.db.getAllAsync<Row>('SELECT * FROM outbox WHERE client_uuid = ?', [clientUuid]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** One user's items, newest capture first. */
  async list(ownerId: string): Promise<OutboxRow[]> {
    await this.init();
    return (await this.db.getAllAsync<Row>('SELECT * FROM outbox WHERE owner_id = ? ORDER BY captured_at DESC, created_at DESC', [ownerId])).map(fromRow);
  }

  /** One user's queued items whose next attempt time has come (every queued one when `ignoreBackoff`), oldest capture first. */
  async due(ownerId: string, nowIso: string, limit: number, ignoreBackoff = false): Promise<OutboxRow[]> {
    await this.init();
    const rows = await this.db.getAllAsync<Row>(
      `SELECT * FROM outbox WHERE owner_id = ? AND status = 'queued' AND (? = 1 OR next_attempt_at IS NULL OR next_attempt_at <= ?)
       ORDER BY captured_at ASC, created_at ASC LIMIT ?`,
      [ownerId, ignoreBackoff ? 1 : 0, nowIso, limit],
    );
    return rows.map(fromRow);
  }

  /** The earliest next attempt time of one user's queued items (ISO), or null when nothing waits. */
  async nextAttemptAt(ownerId: string): Promise<string | null> {
    await this.init();
    const rows = await this.db.getAllAsync<{ next: string | null }>(`SELECT MIN(next_attempt_at) AS next FROM outbox WHERE owner_id = ? AND status = 'queued'`, [ownerId]);
    return rows[0]?.next ?? null;
  }

  /** Rows saved before owners were recorded (schema 1): nobody may sync them. */
  async ownerless(): Promise<{ clientUuid: string; photoUri: string }[]> {
    await this.init();
    const rows = await this.db.getAllAsync<{ client_uuid: string; photo_uri: string }>('SELECT client_uuid, photo_uri FROM outbox WHERE owner_id IS NULL', []);
    return rows.map((r) => ({ clientUuid: r.client_uuid, photoUri: r.photo_uri }));
  }

  async update(clientUuid: string, patch: OutboxPatch): Promise<void> {
    await this.init();
    const keys = Object.keys(patch) as (keyof OutboxPatch)[];
    if (keys.length === 0) return;
    const values: SqlValue[] = keys.map((k) => {
      const v = patch[k];
      if (k === 'server') return v ? JSON.stringify(v) : null;
      return (v ?? null) as SqlValue;
    });
    await this.db.runAsync(`UPDATE outbox SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(', ')} WHERE client_uuid = ?`, [...values, clientUuid]);
  }

  /** After a crash or a kill mid-request: items left "sending" go back to the queue, due now. */
  async recoverSending(nowIso: string): Promise<void> {
    await this.init();
    await this.db.runAsync(`UPDATE outbox SET status = 'queued', next_attempt_at = ? WHERE status = 'sending'`, [nowIso]);
  }

  async remove(clientUuid: string): Promise<void> {
    await this.init();
    await this.db.runAsync('DELETE FROM outbox WHERE client_uuid = ?', [clientUuid]);
    await this.db.runAsync('DELETE FROM outbox_photo WHERE client_uuid = ?', [clientUuid]);
  }
}

/** A photo as the upload needs it: a Blob on the web (and in Node), a file reference on phones. */
export type PhotoPart = Blob | { uri: string; name: string; type: string };

/** Durable copies of captured photos until their screening is synced. */
export interface PhotoVault {
  /** Copy the photo somewhere that survives an app restart; returns the durable URI. */
  keep(clientUuid: string, sourceUri: string, mimeType: string): Promise<string>;
  part(clientUuid: string, durableUri: string, mimeType: string): Promise<PhotoPart | null>;
  discard(clientUuid: string, durableUri: string): Promise<void>;
}

/** Photo bytes in the outbox database itself (the web's choice: a blob: URL dies with the tab). */
export class SqlPhotoVault implements PhotoVault {
  constructor(
    private readonly db: SqlDb,
    private readonly store: SqlOutboxStore,
    private readonly readBytes: (uri: string) => Promise<Uint8Array> = async (uri) => new Uint8Array(await (await fetch(uri)).arrayBuffer()),
  ) {}

  async keep(clientUuid: string, sourceUri: string): Promise<string> {
    await this.store.init();
    const bytes = await this.readBytes(sourceUri);
    if (bytes.length === 0) throw new Error('The photo is empty.');
    await this.db.runAsync('INSERT OR REPLACE INTO outbox_photo (client_uuid, bytes) VALUES (?, ?)', [clientUuid, bytes]);
    return `outbox-db:${clientUuid}`;
  }

  async part(clientUuid: string, _durableUri: string, mimeType: string): Promise<PhotoPart | null> {
    await this.store.init();
    const rows = await this.db.getAllAsync<{ bytes: Uint8Array }>('SELECT bytes FROM outbox_photo WHERE client_uuid = ?', [clientUuid]);
    const bytes = rows[0]?.bytes;
    return bytes ? new Blob([new Uint8Array(bytes)], { type: mimeType }) : null;
  }

  async discard(clientUuid: string): Promise<void> {
    await this.store.init();
    await this.db.runAsync('DELETE FROM outbox_photo WHERE client_uuid = ?', [clientUuid]);
  }
}

/**
 * The store over an opened expo-sqlite database, its schema created or migrated; if that fails the
 * database is closed (so the caller's next attempt can open the file again) and the error rethrown.
 */
export async function initOutboxStore(handle: { closeAsync(): Promise<void> }): Promise<SqlOutboxStore> {
  const store = new SqlOutboxStore(handle as unknown as SqlDb);
  try {
    await store.init();
  } catch (error) {
    await handle.closeAsync().catch(() => undefined);
    throw error;
  }
  return store;
}
