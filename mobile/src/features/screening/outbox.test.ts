/**
 * The outbox over a real SQLite (sql.js, in memory): 100 screenings queued, the app "restarted" from
 * the saved database file, sync with dropped responses (the server applied the batch but the answer
 * was lost) -> exactly 100 distinct screenings on the fake server, no duplicates; backoff, failed
 * items with the server's reason, retry, crash recovery, multipart shape.
 */
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';

import type { ApiResult } from '@/api';
import { sqlJsDb } from '@/test/outboxStorage';

import type { ModelAnswer } from './engine.types';
import { Outbox } from './outbox';
import { initOutboxStore, SqlOutboxStore, SqlPhotoVault, type SqlDb } from './outboxStore';
import { createForm, syncForm, type ScreeningOut, type ScreeningTransport, type SendItem, type SyncOut } from './transport';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await initSqlJs();
});


const device: ModelAnswer = {
  source: 'device',
  modelVersion: '2026.12.04-ham10000-r20',
  probabilities: [0.01, 0.01, 0.05, 0.02, 0.06, 0.8, 0.05],
  topLabel: 'nv',
  confidence: 0.8,
  risk: 'low',
  latencyMs: 31.4,
};

function screening(uuid: string, id: number): ScreeningOut {
  return {
    id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    client_uuid: uuid,
    owner_id: 7,
    source: 'sync',
    captured_at: '2026-12-04T10:00:00Z',
    created_at: '2026-12-04T10:00:01Z',
    body_site: '',
    note: '',
    photo_url: `/api/v1/screenings/${id}/photo`,
    photo_width: 600,
    photo_height: 450,
    model_version: '2026.12.04-ham10000-r20',
    model_synthetic: false,
    labels: ['akiec', 'bcc', 'bkl', 'df', 'mel', 'nv', 'vasc'],
    outcome: 'assessed',
    ood_score: null,
    probabilities: { akiec: 0.01, bcc: 0.01, bkl: 0.04, df: 0.02, mel: 0.07, nv: 0.8, vasc: 0.05 },
    top_label: 'nv',
    top_label_display: 'Melanocytic nevus',
    risk: 'low',
    recommended_action: 'Keep an eye on it.',
    disclaimer: 'Screening aid only, not a diagnosis.',
    server_latency_ms: 120,
    device: null,
  };
}

/** The server's idempotent sync: one screening per client UUID, whatever the number of replays. */
function fakeServer() {
  const byUuid = new Map<string, ScreeningOut>();
  let dropResponses = 0;
  let offline = false;
  const requests: SendItem[][] = [];
  const itemError = new Map<string, { detail: string; code: string; status: number }>();
  const transport: ScreeningTransport = {
    async create(item) {
      if (offline) return { kind: 'offline' };
      const s = byUuid.get(item.clientUuid) ?? screening(item.clientUuid, byUuid.size + 1);
      byUuid.set(item.clientUuid, s);
      return { kind: 'ok', status: 201, data: s };
    },
    async sync(items): Promise<ApiResult<SyncOut>> {
      requests.push(items);
      if (offline) return { kind: 'offline' };
      const results: SyncOut['results'] = items.map((item, index) => {
        const error = itemError.get(item.clientUuid);
        if (error) return { index, client_uuid: item.clientUuid, status: 'error', screening: null, error };
        const seen = byUuid.get(item.clientUuid);
        const s = seen ?? screening(item.clientUuid, byUuid.size + 1);
        byUuid.set(item.clientUuid, s);
        return { index, client_uuid: item.clientUuid, status: seen ? 'duplicate' : 'created', screening: s, error: null };
      });
      if (dropResponses > 0) {
        dropResponses -= 1;
        return { kind: 'offline' }; // applied on the server, but the answer never arrived
      }
      return { kind: 'ok', status: 200, data: { created: 0, duplicates: 0, errors: 0, results } };
    },
  };
  return {
    transport,
    byUuid,
    requests,
    itemError,
    dropNext(n: number) {
      dropResponses = n;
    },
    setOffline(value: boolean) {
      offline = value;
    },
  };
}

/** The signed-in user as the outbox sees it (the `user_id` of the session's tokens); null: signed out. */
const session = { userId: '7' as string | null };

function open(db: Database, transport: ScreeningTransport, clock: { t: number }, owner: () => string | null = () => session.userId) {
  const sql = sqlJsDb(db);
  const store = new SqlOutboxStore(sql);
  const vault = new SqlPhotoVault(sql, store, async (uri) => new TextEncoder().encode(`jpeg bytes of ${uri}`));
  return { store, outbox: new Outbox({ store, vault, transport, owner, now: () => clock.t, random: () => 0.5, batchSize: 10, baseDelayMs: 1000 }) };
}

const uuid = (i: number) => `5f0c3b2a-0000-4000-8000-${String(i).padStart(12, '0')}`;

async function queue(outbox: Outbox, n: number, clock: { t: number }) {
  for (let i = 0; i < n; i += 1) {
    const item = await outbox.enqueue({
      clientUuid: uuid(i),
      capturedAt: new Date(clock.t + i * 1000).toISOString(),
      photoUri: `blob:photo-${i}`,
      mimeType: 'image/jpeg',
      bodySite: i % 2 ? 'back' : '',
      note: '',
      device,
    });
    expect(item?.status).toBe('queued');
  }
}

describe('offline outbox', () => {
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    session.userId = '7';
  });

  it('queues 100 offline, survives a restart, and syncs exactly 100 despite dropped responses', async () => {
    const clock = { t: Date.parse('2026-12-04T10:00:00Z') };
    const server = fakeServer();
    server.setOffline(true);
    const db1 = new SQL.Database();
    const first = open(db1, server.transport, clock);
    await queue(first.outbox, 100, clock);
    await first.outbox.flush(); // offline: everything stays queued, with a backoff
    expect((await first.outbox.list()).filter((i) => i.status === 'queued')).toHaveLength(100);

    // The app dies; its database file is all that is left. A new process opens it.
    const file = db1.export();
    db1.close();
    const clock2 = { t: clock.t + 60_000 };
    server.setOffline(false);
    server.dropNext(3); // the first three batches reach the server but their answers are lost
    const db2 = new SQL.Database(file);
    const second = open(db2, server.transport, clock2);
    expect(await second.outbox.list()).toHaveLength(100);

    let report = await second.outbox.flush();
    expect(report.requeued).toBe(10); // the first dropped answer stops this flush (looks offline)
    for (let round = 0; round < 10; round += 1) {
      clock2.t += 10 * 60_000; // past any backoff
      report = await second.outbox.flush();
    }

    const items = await second.outbox.list();
    expect(items.every((i) => i.status === 'synced')).toBe(true);
    expect(server.byUuid.size).toBe(100);
    expect(new Set(items.map((i) => i.screeningId)).size).toBe(100);
    expect(items.find((i) => i.clientUuid === uuid(0))?.screeningId).toBe(server.byUuid.get(uuid(0))?.id);
    // Replays happened (dropped answers) and were answered as duplicates, not new screenings.
    const sentUuids = server.requests.flat().map((i) => i.clientUuid);
    expect(sentUuids.length).toBeGreaterThan(100);
    expect(new Set(sentUuids).size).toBe(100);
    // Synced photos are removed from the device; the rows stay to show their state.
    expect(db2.exec('SELECT COUNT(*) FROM outbox_photo')[0]?.values[0]?.[0]).toBe(0);
  });

  it('backs off exponentially with jitter and keeps the reason', async () => {
    const clock = { t: Date.parse('2026-12-04T10:00:00Z') };
    const server = fakeServer();
    server.setOffline(true);
    const { outbox } = open(new SQL.Database(), server.transport, clock);
    await queue(outbox, 1, clock);

    await outbox.flush();
    let [item] = await outbox.list();
    expect(item).toMatchObject({ status: 'queued', attempts: 1, lastError: expect.stringMatching(/offline/) });
    expect(Date.parse(item!.nextAttemptAt!) - clock.t).toBe(750); // 1000 ms * (0.5 + 0.5/2)

    await outbox.flush(); // not due yet: nothing is sent
    expect(server.requests).toHaveLength(1);
    expect(await outbox.nextAttemptAt()).toBe(clock.t + 750);

    clock.t += 1000;
    await outbox.flush();
    [item] = await outbox.list();
    expect(item?.attempts).toBe(2);
    expect(Date.parse(item!.nextAttemptAt!) - clock.t).toBe(1500); // doubled
    expect(outbox.backoffMs(30)).toBeLessThanOrEqual(60 * 60_000);

    // The network comes back: everything queued goes now, backoff or not, once per run.
    server.setOffline(false);
    await outbox.flush({ now: true });
    expect(server.requests).toHaveLength(3);
    expect((await outbox.list())[0]?.status).toBe('synced');
    expect(await outbox.nextAttemptAt()).toBeNull();
  });

  it('marks an item the server refuses (4xx) as failed with the server reason; retry sends it again', async () => {
    const clock = { t: Date.parse('2026-12-04T10:00:00Z') };
    const server = fakeServer();
    const { outbox } = open(new SQL.Database(), server.transport, clock);
    await queue(outbox, 3, clock);
    server.itemError.set(uuid(1), { detail: 'The photo is not a JPEG, PNG or HEIC image.', code: 'photo_invalid', status: 415 });
    server.itemError.set(uuid(2), { detail: 'Model busy.', code: 'busy', status: 503 });

    await outbox.flush();

    const byId = new Map((await outbox.list()).map((i) => [i.clientUuid, i]));
    expect(byId.get(uuid(0))?.status).toBe('synced');
    expect(byId.get(uuid(1))).toMatchObject({ status: 'failed', lastError: 'The photo is not a JPEG, PNG or HEIC image.' });
    expect(byId.get(uuid(2))).toMatchObject({ status: 'queued', lastError: 'Model busy.' });

    server.itemError.clear();
    await outbox.retry(uuid(1));
    expect((await outbox.list()).find((i) => i.clientUuid === uuid(1))?.status).toBe('synced');
  });

  it('requeues items a crash left "sending", and sends one now with POST /screenings', async () => {
    const clock = { t: Date.parse('2026-12-04T10:00:00Z') };
    const server = fakeServer();
    const db = new SQL.Database();
    const { store, outbox } = open(db, server.transport, clock);
    await queue(outbox, 2, clock);
    await store.update(uuid(0), { status: 'sending', attempts: 1 });

    const restarted = open(db, server.transport, clock).outbox;
    const now = await restarted.sendNow(uuid(1));
    expect(now).toMatchObject({ kind: 'synced', server: { source: 'server', topLabel: 'nv', risk: 'low' } });
    await restarted.flush();
    expect((await restarted.list()).map((i) => i.status)).toEqual(['synced', 'synced']);
    expect(server.byUuid.size).toBe(2);
  });

  it('never throws into the UI when storage breaks', async () => {
    const broken: SqlDb = {
      execAsync: async () => Promise.reject(new Error('disk I/O error')),
      runAsync: async () => Promise.reject(new Error('disk I/O error')),
      getAllAsync: async () => Promise.reject(new Error('disk I/O error')),
    };
    const store = new SqlOutboxStore(broken);
    const outbox = new Outbox({ store, vault: new SqlPhotoVault(broken, store, async () => new Uint8Array([1])), transport: fakeServer().transport, owner: () => '7' });
    await expect(outbox.enqueue({ clientUuid: uuid(1), capturedAt: '2026-12-04T10:00:00Z', photoUri: 'x', mimeType: 'image/jpeg', bodySite: '', note: '', device: null })).resolves.toBeNull();
    await expect(outbox.list()).resolves.toEqual([]);
    await expect(outbox.flush()).resolves.toMatchObject({ sent: 0 });
  });

  it("sends only the signed-in user's screenings: another user's session never syncs them, the owner's does", async () => {
    const clock = { t: Date.parse('2026-12-04T10:00:00Z') };
    const server = fakeServer();
    server.setOffline(true);
    const { outbox } = open(new SQL.Database(), server.transport, clock);

    // User A (id 7) takes two screenings offline, then signs out
    session.userId = '7';
    await queue(outbox, 2, clock);
    await outbox.flush();
    session.userId = null;
    server.setOffline(false);
    await expect(outbox.flush({ now: true })).resolves.toMatchObject({ sent: 0 });
    expect(await outbox.list()).toEqual([]);

    // User B (id 8) signs in on the same device and syncs: none of A's screenings are sent or shown
    const triedOffline = server.requests.length; // A's own attempt while offline
    session.userId = '8';
    await expect(outbox.flush({ now: true })).resolves.toMatchObject({ sent: 0 });
    expect(server.requests).toHaveLength(triedOffline);
    expect(server.byUuid.size).toBe(0);
    expect(await outbox.list()).toEqual([]);
    expect(await outbox.nextAttemptAt()).toBeNull();
    await expect(outbox.sendNow(uuid(0))).resolves.toMatchObject({ kind: 'failed' });
    await outbox.retry(uuid(1));
    expect(server.requests).toHaveLength(triedOffline);
    expect(server.byUuid.size).toBe(0);

    // A screening B takes is B's own
    await outbox.enqueue({ clientUuid: uuid(50), capturedAt: '2026-12-04T11:00:00Z', photoUri: 'blob:b', mimeType: 'image/jpeg', bodySite: '', note: '', device });
    await outbox.flush({ now: true });
    expect([...server.byUuid.keys()]).toEqual([uuid(50)]);

    // A signs in again: exactly A's two are sent
    session.userId = '7';
    expect((await outbox.list()).map((i) => i.clientUuid).sort()).toEqual([uuid(0), uuid(1)]);
    await expect(outbox.flush({ now: true })).resolves.toMatchObject({ sent: 2, synced: 2 });
    expect(server.requests.slice(triedOffline).flat().map((i) => i.clientUuid)).toEqual([uuid(50), uuid(0), uuid(1)]);
    expect([...server.byUuid.keys()]).toEqual([uuid(50), uuid(0), uuid(1)]);
    expect((await outbox.list()).map((i) => i.status)).toEqual(['synced', 'synced']);
  });

  it('stops a sync when the user signs out (or another signs in) between two batches', async () => {
    const clock = { t: Date.parse('2026-12-04T10:00:00Z') };
    const server = fakeServer();
    const owner = jest.fn(() => session.userId);
    const sql = sqlJsDb(new SQL.Database());
    const store = new SqlOutboxStore(sql);
    const vault = new SqlPhotoVault(sql, store, async (uri) => new TextEncoder().encode(`jpeg bytes of ${uri}`));
    const outbox = new Outbox({ store, vault, transport: server.transport, owner, now: () => clock.t, batchSize: 2 });
    server.setOffline(true);
    await queue(outbox, 4, clock);
    server.setOffline(false);
    const sync = server.transport.sync.bind(server.transport);
    server.transport.sync = async (items) => {
      const result = await sync(items);
      session.userId = '8'; // someone else signed in while the first batch was on its way
      return result;
    };

    await outbox.flush({ now: true });

    expect(server.requests.flat()).toHaveLength(2);
    session.userId = '7';
    expect((await outbox.list()).filter((i) => i.status === 'queued')).toHaveLength(2);
  });

  it('migrates a database from before owners were recorded: its rows are deleted once, never synced', async () => {
    // A schema-1 database (no owner_id column) with one unsent screening and its photo
    const db = new SQL.Database();
    db.exec(`
      CREATE TABLE outbox (
        client_uuid TEXT PRIMARY KEY NOT NULL, captured_at TEXT NOT NULL, photo_uri TEXT NOT NULL,
        mime_type TEXT NOT NULL DEFAULT 'image/jpeg', body_site TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
        device_result TEXT, server_result TEXT,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'synced', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0), next_attempt_at TEXT, last_error TEXT,
        screening_id TEXT, created_at TEXT NOT NULL
      );
      CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
      CREATE TABLE outbox_photo (client_uuid TEXT PRIMARY KEY NOT NULL, bytes BLOB NOT NULL);
      PRAGMA user_version = 1;
    `);
    db.run(`INSERT INTO outbox (client_uuid, captured_at, photo_uri, status, next_attempt_at, created_at) VALUES (?, ?, ?, 'queued', ?, ?)`, [
      uuid(90),
      '2026-12-01T10:00:00Z',
      `outbox-db:${uuid(90)}`,
      '2026-12-01T10:00:10Z',
      '2026-12-01T10:00:00Z',
    ]);
    db.run('INSERT INTO outbox_photo (client_uuid, bytes) VALUES (?, ?)', [uuid(90), new Uint8Array([0xff, 0xd8])]);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const clock = { t: Date.parse('2026-12-04T10:00:00Z') };
    const server = fakeServer();

    const { store, outbox } = open(db, server.transport, clock);
    await store.init();

    // The column and its index exist, the version moved on, the old row has no owner
    expect(db.exec('PRAGMA user_version')[0]?.values[0]?.[0]).toBe(2);
    expect(db.exec('PRAGMA table_info(outbox)')[0]?.values.map((c) => c[1])).toContain('owner_id');
    expect(db.exec(`SELECT name FROM sqlite_master WHERE name = 'outbox_owner_due'`)[0]?.values).toHaveLength(1);
    expect(db.exec('SELECT owner_id FROM outbox')[0]?.values).toEqual([[null]]);

    // The first flush deletes it with its photo (logged) and sends nothing; new screenings work as usual
    await expect(outbox.flush({ now: true })).resolves.toMatchObject({ sent: 0 });
    expect(server.requests).toHaveLength(0);
    expect(db.exec('SELECT COUNT(*) FROM outbox')[0]?.values[0]?.[0]).toBe(0);
    expect(db.exec('SELECT COUNT(*) FROM outbox_photo')[0]?.values[0]?.[0]).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('deleted 1 unsent screening(s) saved before their owner was recorded'));
    await queue(outbox, 1, clock);
    await expect(outbox.flush({ now: true })).resolves.toMatchObject({ sent: 1, synced: 1 });
    expect(db.exec('SELECT owner_id FROM outbox')[0]?.values).toEqual([['7']]);

    // Opening the migrated database again changes nothing
    const again = new SqlOutboxStore(sqlJsDb(db));
    await again.init();
    expect(db.exec('PRAGMA user_version')[0]?.values[0]?.[0]).toBe(2);
    expect(await again.list('7')).toHaveLength(1);
  });

  it('queues nothing while nobody is signed in', async () => {
    session.userId = null;
    const { outbox, store } = open(new SQL.Database(), fakeServer().transport, { t: Date.parse('2026-12-04T10:00:00Z') });
    await expect(outbox.enqueue({ clientUuid: uuid(1), capturedAt: '2026-12-04T10:00:00Z', photoUri: 'x', mimeType: 'image/jpeg', bodySite: '', note: '', device: null })).resolves.toBeNull();
    expect(await store.list('7')).toEqual([]);
  });

  it('builds the multipart bodies the server reads', async () => {
    const item: SendItem = { clientUuid: uuid(9), capturedAt: '2026-12-04T10:00:00Z', bodySite: 'arm', note: '', device, photo: new Blob([new Uint8Array([0xff, 0xd8])], { type: 'image/jpeg' }), mimeType: 'image/jpeg' };
    const one = createForm(item);
    expect(one.get('client_uuid')).toBe(uuid(9));
    expect(JSON.parse(String(one.get('device_result')))).toEqual({ model_version: device.modelVersion, probabilities: device.probabilities, latency_ms: 31.4 });
    expect((one.get('photo') as File).name).toBe(`${uuid(9)}.jpg`);
    const batch = syncForm([item, { ...item, clientUuid: uuid(10), device: null }]);
    const meta = JSON.parse(String(batch.get('items'))) as { client_uuid: string; photo: string; device_result?: unknown }[];
    expect(meta.map((m) => [m.client_uuid, m.photo])).toEqual([
      [uuid(9), 'photo_0'],
      [uuid(10), 'photo_1'],
    ]);
    expect(meta[1]?.device_result).toBeUndefined();
    expect(batch.get('photo_1')).toBeInstanceOf(Blob);
  });
});

describe('initOutboxStore', () => {
  it('closes a database whose schema cannot be set up, so the next open can take the file', async () => {
    // Given a database that fails on its first statement
    const closeAsync = jest.fn(async () => undefined);
    const broken = {
      closeAsync,
      execAsync: async () => {
        throw new Error('cannot create file');
      },
      runAsync: async () => ({ changes: 0 }),
      getAllAsync: async () => [],
    };
    // When the store is initialised over it, then the error reaches the caller and the database is closed
    await expect(initOutboxStore(broken)).rejects.toThrow('cannot create file');
    expect(closeAsync).toHaveBeenCalledTimes(1);
  });

  it('keeps a database that initialises open', async () => {
    const SQL = await initSqlJs();
    const closeAsync = jest.fn(async () => undefined);
    const store = await initOutboxStore({ ...sqlJsDb(new SQL.Database()), closeAsync });
    expect(store).toBeInstanceOf(SqlOutboxStore);
    expect(closeAsync).not.toHaveBeenCalled();
  });
});
