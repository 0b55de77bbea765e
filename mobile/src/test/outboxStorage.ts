/** The screening outbox's storage on an in-memory sql.js database, for tests (expo-sqlite needs a native build). */
import initSqlJs, { type Database } from 'sql.js';

import { SqlOutboxStore, SqlPhotoVault, type PhotoVault, type SqlDb, type SqlValue } from '@/features/screening/outboxStore';

/** expo-sqlite's async surface over a sql.js database. */
export function sqlJsDb(db: Database): SqlDb {
  return {
    async execAsync(source) {
      db.exec(source);
    },
    async runAsync(source, params) {
      db.run(source, params as never);
      return { changes: db.getRowsModified() };
    },
    async getAllAsync<T>(source: string, params: SqlValue[]) {
      const stmt = db.prepare(source);
      stmt.bind(params as never);
      const rows: T[] = [];
      while (stmt.step()) rows.push(stmt.getAsObject() as T);
      stmt.free();
      return rows;
    },
  };
}

/** A fresh, empty outbox database; photos are kept as three JPEG magic bytes. */
export async function memoryOutboxStorage(): Promise<{ store: SqlOutboxStore; vault: PhotoVault }> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  const sql = sqlJsDb(db);
  const store = new SqlOutboxStore(sql);
  await store.init();
  return { store, vault: new SqlPhotoVault(sql, store, async () => new Uint8Array([0xff, 0xd8, 0xff])) };
}
