/**
 * Web outbox storage: expo-sqlite's WASM build (OPFS; needs `wasm` in Metro's asset extensions and the
 * COOP/COEP headers server/core/web.py sends), with the photo bytes in the same database, since a
 * blob: URL does not survive the tab.
 */
import { openDatabaseAsync } from 'expo-sqlite';

import { SqlOutboxStore, SqlPhotoVault, type PhotoVault, type SqlDb } from './outboxStore';

export async function openOutboxStorage(): Promise<{ store: SqlOutboxStore; vault: PhotoVault }> {
  const handle = await openDatabaseAsync('screening-outbox.db');
  const db = handle as unknown as SqlDb;
  const store = new SqlOutboxStore(db);
  try {
    await store.init();
  } catch (error) {
    // Let go of the file, so the caller's next attempt can open it again.
    await handle.closeAsync().catch(() => undefined);
    throw error;
  }
  return { store, vault: new SqlPhotoVault(db, store) };
}
