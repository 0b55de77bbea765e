/**
 * Web outbox storage: expo-sqlite's WASM build (OPFS; needs `wasm` in Metro's asset extensions and the
 * COOP/COEP headers server/core/web.py sends), with the photo bytes in the same database, since a
 * blob: URL does not survive the tab.
 */
import { openDatabaseAsync } from 'expo-sqlite';

import { initOutboxStore, SqlPhotoVault, type PhotoVault, type SqlDb, type SqlOutboxStore } from './outboxStore';

export async function openOutboxStorage(): Promise<{ store: SqlOutboxStore; vault: PhotoVault }> {
  const handle = await openDatabaseAsync('screening-outbox.db');
  const store = await initOutboxStore(handle);
  return { store, vault: new SqlPhotoVault(handle as unknown as SqlDb, store) };
}
