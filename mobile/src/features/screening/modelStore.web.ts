/**
 * Web ModelStore: IndexedDB (database `skinscreen-models`). Installed files, records and the pointer
 * live in object stores; staged downloads are kept as chunks keyed by offset, so an interrupted
 * download resumes. `promote` writes the files and the record in one transaction. Without IndexedDB
 * (some private modes) it falls back to memory: the app then re-downloads each session.
 */
import { MemoryModelStore } from './modelStore.memory';
import type { InstalledRecord, ModelPointer, ModelStore } from './modelStore.types';

const DB_NAME = 'skinscreen-models';
const STORES = ['meta', 'records', 'files', 'staged'] as const;
type StoreName = (typeof STORES)[number];

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function openDb(factory: IDBFactory): Promise<IDBDatabase> {
  const req = factory.open(DB_NAME, 1);
  req.onupgradeneeded = () => {
    for (const name of STORES) if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name);
  };
  return request(req);
}

const prefixRange = (prefix: string) => IDBKeyRange.bound(prefix, `${prefix}\uffff`);

export class IndexedDbModelStore implements ModelStore {
  private db: Promise<IDBDatabase>;

  constructor(factory: IDBFactory) {
    this.db = openDb(factory);
  }

  private async tx(names: StoreName[], mode: IDBTransactionMode) {
    return (await this.db).transaction(names, mode);
  }

  private async get<T>(store: StoreName, key: string): Promise<T | null> {
    const tx = await this.tx([store], 'readonly');
    return ((await request(tx.objectStore(store).get(key))) as T | undefined) ?? null;
  }

  private async stagedChunks(version: string, name: string): Promise<Uint8Array[]> {
    const tx = await this.tx(['staged'], 'readonly');
    return (await request(tx.objectStore('staged').getAll(prefixRange(`${version}/${name}#`)))) as Uint8Array[];
  }

  readPointer() {
    return this.get<ModelPointer>('meta', 'pointer');
  }
  async writePointer(pointer: ModelPointer) {
    const tx = await this.tx(['meta'], 'readwrite');
    tx.objectStore('meta').put(pointer, 'pointer');
    await done(tx);
  }
  readRecord(version: string) {
    return this.get<InstalledRecord>('records', version);
  }
  readFile(version: string, name: string) {
    return this.get<Uint8Array>('files', `${version}/${name}`);
  }
  async fileUri() {
    return null;
  }
  async stagedLength(version: string, name: string) {
    return (await this.stagedChunks(version, name)).reduce((n, c) => n + c.length, 0);
  }
  async appendStaged(version: string, name: string, bytes: Uint8Array) {
    const offset = await this.stagedLength(version, name);
    const tx = await this.tx(['staged'], 'readwrite');
    // Zero-padded offsets sort in byte order.
    tx.objectStore('staged').put(bytes.slice(), `${version}/${name}#${String(offset).padStart(12, '0')}`);
    await done(tx);
  }
  async readStaged(version: string, name: string) {
    const chunks = await this.stagedChunks(version, name);
    if (chunks.length === 0) return null;
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  async discardStaged(version: string) {
    const tx = await this.tx(['staged'], 'readwrite');
    tx.objectStore('staged').delete(prefixRange(`${version}/`));
    await done(tx);
  }
  async promote(version: string, record: InstalledRecord, names: readonly string[]) {
    const files: [string, Uint8Array][] = [];
    for (const name of names) {
      const bytes = await this.readStaged(version, name);
      if (!bytes) throw new Error(`nothing staged for ${version}/${name}`);
      files.push([name, bytes]);
    }
    const tx = await this.tx(['files', 'records', 'staged'], 'readwrite');
    for (const [name, bytes] of files) tx.objectStore('files').put(bytes, `${version}/${name}`);
    tx.objectStore('records').put(record, version);
    tx.objectStore('staged').delete(prefixRange(`${version}/`));
    await done(tx);
  }
  async remove(version: string) {
    const tx = await this.tx(['files', 'records', 'staged'], 'readwrite');
    tx.objectStore('files').delete(prefixRange(`${version}/`));
    tx.objectStore('records').delete(version);
    tx.objectStore('staged').delete(prefixRange(`${version}/`));
    await done(tx);
  }
  async installedVersions() {
    const tx = await this.tx(['records'], 'readonly');
    return ((await request(tx.objectStore('records').getAllKeys())) as IDBValidKey[]).map(String);
  }
}

export function createModelStore(): ModelStore {
  const factory = typeof indexedDB !== 'undefined' ? indexedDB : null;
  return factory ? new IndexedDbModelStore(factory) : new MemoryModelStore();
}
