/**
 * Web outbox storage: expo-sqlite's WASM build (OPFS; needs `wasm` in Metro's asset extensions and the
 * COOP/COEP headers server/core/web.py sends), with the photo bytes in the same database, since a
 * blob: URL does not survive the tab.
 */
import { openDatabaseAsync } from 'expo-sqlite';

import { SqlOutboxStore, SqlPhotoVault, type PhotoVault, type SqlDb } from './outboxStore';

export async function openOutboxStorage(): Promise<{ store: SqlOutboxStore; vault: PhotoVault }> {
  const db = (await openDatabaseAsync('screening-outbox.db')) as unknown as SqlDb;
  const store = new SqlOutboxStore(db);
  await store.init();
  return { store, vault: new SqlPhotoVault(db, store) };
}
